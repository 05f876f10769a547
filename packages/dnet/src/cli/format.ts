/** Plain-text tables for people; `--json` and `-q` output for scripts. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id
}

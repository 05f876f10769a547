/**
 * `--filter KEY=VALUE` and `--format TEMPLATE` of the list commands, after docker's:
 * filters of one key are alternatives (any may match), filters of different keys must all
 * match; a format is a small subset of Go templates: `{{.Field}}`, `{{.Label "key"}}`,
 * `{{json .}}`, the escapes `\t` and `\n`, and a leading `table` for a header row.
 */
import { CliError } from './client.js'
import { table } from './format.js'

/** How one kind of object is filtered and formatted. */
export interface ListSchema<T> {
  /** Filter key → does the item match the value. */
  filters: Record<string, (item: T, value: string) => boolean>
  /** Template field → its text, and the header `table` prints for it. */
  fields: Record<string, { header: string; text: (item: T) => string }>
  /** Labels for `{{.Label "key"}}`. */
  labels?: (item: T) => Record<string, string>
}

export type Filter<T> = (item: T) => boolean

export function parseFilters<T>(list: unknown, schema: ListSchema<T>): Filter<T> {
  const byKey = new Map<string, string[]>()
  for (const f of (list as string[] | undefined) ?? []) {
    const eq = f.indexOf('=')
    const key = eq > 0 ? f.slice(0, eq) : ''
    if (!(key in schema.filters)) {
      throw new CliError(
        `invalid --filter ${JSON.stringify(f)}: use KEY=VALUE with KEY one of ${Object.keys(schema.filters).join(', ')}`,
        2,
      )
    }
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)])
  }
  return (item) =>
    [...byKey].every(([key, values]) => values.some((v) => schema.filters[key]!(item, v)))
}

type Part = { text: string } | { field: string; label?: string } | { json: true }

/** A compiled `--format`: one line per item, and the header line of a `table` format. */
export interface Format<T> {
  header?: string
  line(item: T): string
}

export function parseFormat<T>(template: string, schema: ListSchema<T>): Format<T> {
  let text = template.replaceAll('\\t', '\t').replaceAll('\\n', '\n')
  const isTable = /^table(\s|$)/.test(text)
  if (isTable) text = text.replace(/^table\s*/, '')
  const parts: Part[] = []
  const re = /\{\{\s*(.*?)\s*\}\}/g
  let at = 0
  for (const m of text.matchAll(re)) {
    if (m.index > at) parts.push({ text: text.slice(at, m.index) })
    at = m.index + m[0].length
    const action = m[1]!
    const field = /^\.(\w+)$/.exec(action)
    const label = /^\.Label\s+"([^"]*)"$/.exec(action)
    if (action === 'json .') parts.push({ json: true })
    else if (label && schema.labels) parts.push({ field: 'Label', label: label[1]! })
    else if (field && field[1]! in schema.fields) parts.push({ field: field[1]! })
    else {
      throw new CliError(
        `invalid --format: {{${action}}} is not supported; use ${Object.keys(schema.fields)
          .map((f) => `{{.${f}}}`)
          .join(', ')}${schema.labels ? ', {{.Label "KEY"}}' : ''} or {{json .}}`,
        2,
      )
    }
  }
  if (text.slice(at).includes('{{')) throw new CliError('invalid --format: unclosed {{', 2)
  if (at < text.length) parts.push({ text: text.slice(at) })
  const render = (item: T | undefined) =>
    parts
      .map((p) => {
        if ('text' in p) return p.text
        if ('json' in p) return item === undefined ? 'JSON' : JSON.stringify(item)
        if (p.label !== undefined)
          return item === undefined ? `LABEL ${p.label}` : (schema.labels!(item)[p.label] ?? '')
        const f = schema.fields[p.field]!
        return item === undefined ? f.header : f.text(item)
      })
      .join('')
  return { ...(isTable ? { header: render(undefined) } : {}), line: (item) => render(item) }
}

/**
 * The lines of a formatted list. A `table` format gets its header first, and its tab-separated
 * cells aligned in columns as `ls` prints them.
 */
export function formatList<T>(items: T[], format: Format<T>): string {
  const lines = items.map((i) => format.line(i))
  if (format.header === undefined) return lines.map((l) => l + '\n').join('')
  return table(
    format.header.split('\t'),
    lines.map((l) => l.split('\t')),
  )
}

/** A `name=`/`id=` filter as docker matches it: a regular expression, or else a part of the text. */
export function matches(text: string, value: string): boolean {
  try {
    return new RegExp(value).test(text)
  } catch {
    return text.includes(value)
  }
}

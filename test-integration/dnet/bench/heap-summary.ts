// Reads a V8 heap snapshot (.heapsnapshot JSON) into live object counts and bytes per
// constructor, and compares two of them.
import { readFileSync } from 'node:fs'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

export type Summary = Map<string, { count: number; size: number }>

/** Count and self size per constructor (objects, closures) or per node type (the rest). */
export function summarize(path: string): Summary {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
  const fields = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const out: Summary = new Map()
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + typeAt!]!]!
    const key =
      type === 'object' || type === 'closure'
        ? `${type === 'closure' ? 'fn ' : ''}${s.strings[s.nodes[i + nameAt!]!]}`
        : `(${type})`
    const e = out.get(key) ?? { count: 0, size: 0 }
    e.count++
    e.size += s.nodes[i + sizeAt!]!
    out.set(key, e)
  }
  return out
}

/** What grew from `a` to `b`, largest byte growth first. */
export function growth(a: Summary, b: Summary): { name: string; count: number; size: number }[] {
  return [...b]
    .map(([name, v]) => ({
      name,
      count: v.count - (a.get(name)?.count ?? 0),
      size: v.size - (a.get(name)?.size ?? 0),
    }))
    .filter((g) => g.size > 0)
    .sort((x, y) => y.size - x.size)
}

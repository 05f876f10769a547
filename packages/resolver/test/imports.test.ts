// No module of src/ imports (even type-only) a module that imports it back, directly or not.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** Each .ts file of src/ with the src/ files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const f of readdirSync(SRC, { recursive: true }).map(String)) {
    if (!f.endsWith('.ts')) continue
    const code = readFileSync(join(SRC, f), 'utf8')
    const deps = [...code.matchAll(/(?:from|import\()\s*'(\.[^']*)'/g)].map((m) =>
      normalize(join(dirname(f), m[1]!)).replace(/\.js$/, '.ts'),
    )
    graph.set(f, deps)
  }
  return graph
}

/** Every import cycle, as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Map<string, string[]>): string[] {
  const done = new Set<string>()
  const found: string[] = []
  const walk = (f: string, stack: string[]): void => {
    if (done.has(f)) return
    const at = stack.indexOf(f)
    if (at >= 0) {
      found.push([...stack.slice(at), f].join(' -> '))
      return
    }
    stack.push(f)
    for (const d of graph.get(f) ?? []) walk(d, stack)
    stack.pop()
    done.add(f)
  }
  for (const f of graph.keys()) walk(f, [])
  return found
}

t.test('the import graph of src/ has no cycle', async (t) => {
  const graph = importGraph()
  t.ok(graph.get('server.ts')?.includes('options.ts'), 'the graph sees local imports')
  t.same(cycles(graph), [])
})

t.test('the cycle finder finds a cycle', async (t) => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
  ])
  t.same(cycles(graph), ['a.ts -> b.ts -> c.ts -> a.ts'])
})

// Property: any mix of concurrent add/delete/update calls leaves the file exactly as applying
// them one by one, in call order, to a plain list of lines would.
import t from 'tap'
import fc from 'fast-check'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { IP } from '@libnetwork/types'
import { HostsFile } from '../src/index.js'

type Op =
  | { kind: 'add'; ip: number; name: number }
  | { kind: 'delete'; ip: number; name: number }
  | { kind: 'update'; ip: number; name: number }

const ipOf = (n: number) => IP.parse(`10.0.0.${n}`)
const nameOf = (n: number) => `h${n}`

function model(ops: Op[]): string[] {
  let lines: { ip: number; name: number }[] = []
  for (const op of ops) {
    if (op.kind === 'add') lines.push({ ip: op.ip, name: op.name })
    else if (op.kind === 'delete') {
      lines = lines.filter((l) => !(l.ip === op.ip && l.name === op.name))
    } else lines = lines.map((l) => (l.name === op.name ? { ip: op.ip, name: l.name } : l))
  }
  return lines.map((l) => `10.0.0.${l.ip}\th${l.name}`)
}

t.test('concurrent operations equal the sequential model', async (t) => {
  const dir = t.testdir({})
  let run = 0
  const op = fc.record({
    kind: fc.constantFrom('add' as const, 'delete' as const, 'update' as const),
    ip: fc.integer({ min: 1, max: 4 }),
    name: fc.integer({ min: 1, max: 4 }),
  })
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
      const hosts = new HostsFile(join(dir, `hosts-${run++}`))
      const calls: Promise<unknown>[] = [hosts.build({ ipv6: false })]
      for (const o of ops) {
        const rec = { ip: ipOf(o.ip), names: [nameOf(o.name)] }
        if (o.kind === 'add') calls.push(hosts.add([rec]))
        else if (o.kind === 'delete') calls.push(hosts.delete([rec]))
        else calls.push(hosts.update(ipOf(o.ip), nameOf(o.name)))
      }
      await Promise.all(calls)
      const text = await readFile(hosts.path, 'utf8')
      const expected = ['127.0.0.1\tlocalhost', ...model(ops)].join('\n') + '\n'
      return text === expected
    }),
    { seed: 3, numRuns: 40 },
  )
  t.pass('property held for 40 random sequences')
})

import t from 'tap'
import { startCluster, startNode, waitFor, liveNames, stateOf } from './helpers.js'
import type { MemberEvent } from '../src/index.js'

t.test('5 nodes all converge on full membership', async (t) => {
  const nodes = await startCluster(t, 5)
  const names = nodes.map((n) => n.g.name).sort()
  await waitFor('full membership', () => nodes.every((n) => liveNames(n.g).join() === names.join()))
  for (const n of nodes) t.same(liveNames(n.g), names)
  t.equal(nodes[0]!.g.numMembers(), 5)
})

t.test('a stopped node goes suspect then dead; restarted on its port it rejoins', async (t) => {
  const nodes = await startCluster(t, 4)
  const victim = nodes[3]!
  const port = victim.g.address.port
  const name = victim.g.name
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 4))
  const seen: string[] = []
  const failed: string[] = []
  nodes[0]!.g.on('leave', (m) => seen.push(`${m.name}:${m.state}`))
  nodes[0]!.g.on('failed', (m) => failed.push(m.name))
  await victim.g.stop()
  const others = nodes.slice(0, 3)
  await waitFor('suspect somewhere', () => others.some((n) => stateOf(n.g, name) === 'suspect'))
  await waitFor('dead everywhere', () => others.every((n) => stateOf(n.g, name) === 'dead'))
  t.same(seen, [`${name}:dead`])
  t.same(failed, [name])
  t.ok(others.every((n) => n.g.numMembers() === 3))
  // same name, same port: the new process refutes the dead verdict with a higher incarnation
  const back = await startNode(t, { name }, port)
  await back.g.join([nodes[0]!.g.address])
  await waitFor('rejoined everywhere', () => others.every((n) => stateOf(n.g, name) === 'alive'))
  t.ok(others.every((n) => n.g.member(name)!.incarnation > 1))
  await waitFor('rejoined node sees all', () => back.g.numMembers() === 4)
})

t.test('graceful leave propagates as left', async (t) => {
  const nodes = await startCluster(t, 4)
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 4))
  const leaver = nodes[2]!
  const port = leaver.g.address.port
  await leaver.g.leave({ timeoutMs: 2000 })
  await leaver.g.stop()
  const rest = nodes.filter((n) => n !== leaver)
  const failed: string[] = []
  rest[0]!.g.on('failed', (m) => failed.push(m.name))
  await waitFor('left everywhere', () => rest.every((n) => stateOf(n.g, leaver.g.name) === 'left'))
  t.ok(rest.every((n) => n.g.metrics.counters.declaredDead === undefined))
  t.same(failed, [], 'a graceful leave is not a failure')
  // the same name comes back later on the same port
  const back = await startNode(t, { name: leaver.g.name }, port)
  await back.g.join([rest[0]!.g.address])
  await waitFor('back everywhere', () => rest.every((n) => stateOf(n.g, leaver.g.name) === 'alive'))
  t.equal(back.g.numMembers(), 4)
})

t.test('events: join events as an async iterable', async (t) => {
  const a = await startNode(t)
  const ac = new AbortController()
  const got: MemberEvent[] = []
  const done = (async () => {
    for await (const e of a.g.events({ signal: ac.signal })) {
      got.push(e)
      if (got.length === 2) ac.abort()
    }
  })()
  const b = await startNode(t)
  await b.g.join([a.g.address])
  const c = await startNode(t)
  await c.g.join([a.g.address])
  await done
  t.same(
    got.map((e) => [e.type, e.member.name]),
    [
      ['join', b.g.name],
      ['join', c.g.name],
    ],
  )
})

t.test('events(): the iterator ends when the node stops', async (t) => {
  const a = await startNode(t)
  const seen: string[] = []
  const done = (async () => {
    for await (const e of a.g.events()) seen.push(e.type)
  })()
  await new Promise((r) => setTimeout(r, 20))
  await a.g.stop()
  await done
  t.same(seen, [], 'no events, and the loop ended')
})

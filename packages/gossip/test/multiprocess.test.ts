import t from 'tap'
import { Proc, srcModule } from './procs.js'
import { startNode, waitFor, stateOf } from './helpers.js'

t.test('nodes in separate processes join, and a SIGKILLed one is declared dead', async (t) => {
  const seed = await startNode(t)
  const config = { probeInterval: 200, probeTimeout: 80, gossipInterval: 40, suspicionMult: 3 }
  const procs = [0, 1, 2].map(
    (i) => new Proc({ name: `proc-${i}`, module: srcModule, config, expect: 4 }, 'tsx'),
  )
  t.teardown(() => procs.forEach((p) => p.kill()))
  for (const p of procs) await p.waitLine((l) => 'ready' in l)
  for (const p of procs) p.send(`join 127.0.0.1:${seed.g.address.port}`)
  for (const p of procs) await p.waitLine((l) => 'full' in l)
  await waitFor('seed sees all', () => seed.g.numMembers() === 4)
  procs[2]!.kill('SIGKILL')
  await waitFor('dead at the seed', () => stateOf(seed.g, 'proc-2') === 'dead')
  for (const p of procs.slice(0, 2)) {
    const l = await p.waitLine((l) => l.event === 'leave' && l.node === 'proc-2')
    t.equal(l.state, 'dead', 'child process saw the death')
  }
})

// A daemon killed with SIGKILL and restarted at once is a new cluster node (a fresh name) on the
// same address, while its dead predecessor is still alive to the others. The restarted one
// publishes its keys again before it has met the cluster (it has no peer to join: the others
// reach it), so its versions carry a low table clock and lose to the predecessor's copies; when
// the predecessor is found dead its entries are dropped everywhere. The key must survive that:
// the new owner's version wins in the end, on both hosts (issue 17, an overlay peer lost).
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { FAST, agent, freePort, until } from './helpers.js'

const CHILD = fileURLToPath(new URL('./restart-child.ts', import.meta.url))
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const enc = new TextEncoder()

t.test('a key put again by a restarted host outlives its dead predecessor', async (t) => {
  // a takes its time to find a member dead (the restart comes first, as with dnet's defaults)
  const a = await agent(t, {
    nodeName: 'host-a',
    gossip: { ...FAST, probeInterval: 1_000, probeTimeout: 500, suspicionMult: 60 },
  })
  await a.joinNetwork('n1')
  await a.put('peers', 'n1', 'ep-a', enc.encode('a'))
  const port = await freePort()

  // the first life of host b: a child process, killed with SIGKILL below
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      JSON.stringify({
        nodeName: 'host-b-1',
        port,
        join: [a.address],
        network: 'n1',
        table: 'peers',
        key: 'ep-b',
        value: 'old',
        churn: 30,
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  t.teardown(() => void child.kill('SIGKILL'))
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.includes('"ready"')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before ready`)))
  })
  await ready
  const entry = (x: typeof a, key: string) => x.entries('peers', 'n1').find((e) => e.key === key)
  await until('a has host-b-1 ep-b', () => entry(a, 'ep-b')?.owner === 'host-b-1', 120_000)

  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  // restarted at once on the same address, with no peer of its own (as the first host)
  const b = await agent(t, { nodeName: 'host-b-2', port })
  await b.joinNetwork('n1')
  await b.put('peers', 'n1', 'ep-b', enc.encode('new'))

  const t0 = Date.now()
  await until(
    'a and b meet',
    () => a.members().some((m) => m.name === 'host-b-2' && m.state === 'alive'),
    120_000,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}: a has ${JSON.stringify(a.members().map((m) => [m.name, m.state]))}, b ${JSON.stringify(b.members().map((m) => [m.name, m.state]))}`,
    )
  })
  const then = a.members().find((m) => m.name === 'host-b-1')?.state
  t.comment(`met after ${Date.now() - t0} ms`)
  // the case of the bug: the new node meets the cluster while the old one still counts there
  t.ok(
    then === 'alive' || then === 'suspect',
    `host-b-1 not yet dead to a when they meet (${then})`,
  )
  const settled = () => {
    const onA = entry(a, 'ep-b')
    const onB = entry(b, 'ep-b')
    return (
      onA?.owner === 'host-b-2' &&
      text(onA.value) === 'new' &&
      onB?.owner === 'host-b-2' &&
      entry(b, 'ep-a')?.owner === 'host-a'
    )
  }
  await until(
    `ep-b owned by host-b-2 on both hosts (a: ${JSON.stringify(entry(a, 'ep-b')?.owner)})`,
    settled,
    120_000,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}; a has ${JSON.stringify(entry(a, 'ep-b')?.owner)}, b has ${JSON.stringify(entry(b, 'ep-b')?.owner)}`,
    )
  })
  t.pass('ep-b is host-b-2 on both hosts')
  // and it stays so once host-b-1 is gone from every view (its entries dropped)
  await until(
    'a and b find host-b-1 dead',
    () =>
      [a, b].every((x) => {
        const m = x.members().find((m) => m.name === 'host-b-1')
        return m === undefined || m.state === 'dead'
      }),
    120_000,
  )
  await until(
    'the drop has reached the tables',
    () => a.networkDB.clusterPeers().find((p) => p.name === 'host-b-1')?.status !== 'active',
    30_000,
  )
  t.equal(entry(a, 'ep-b')?.owner, 'host-b-2', 'a keeps host-b-2 ep-b')
  t.equal(text(entry(a, 'ep-b')!.value), 'new')
  t.equal(entry(b, 'ep-b')?.local, true, 'b owns it')
})

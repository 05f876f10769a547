// kill -9 of a host's daemon and an IMMEDIATE restart (issue 17, "Restart and faults"): the
// restarted daemon is a new cluster node (a fresh node name) while its dead predecessor is still
// alive in the other host's view, and (as the first host) it has no peer to join: the other host
// joins it again once no live member is at its address. Once the other host has found the old
// node dead and dropped its entries, the restored container must be reachable: the new node's
// peer record, for the same endpoint id, has to win over the old node's.
import t from 'tap'
import { until } from './harness.js'
import type { Daemon } from './daemons.js'
import {
  createOverlay,
  ipOf,
  overlayWorld,
  remoteFdb,
  removeGateways,
  removeOverlay,
  settledLeftovers,
  snap,
  untilPing,
  needsRoot,
} from './overlay-dnet.js'

t.test(
  'kill -9 and an immediate restart: the restarted host stays reachable after the old node is dropped',
  { skip: needsRoot },
  async (t) => {
    const w = await overlayWorld(t, 'etcdless', 2)
    const [d1, d2] = w.ds as [Daemon, Daemon]
    const before = await snap(w)
    await createOverlay(w, { name: 'ovr', subnet: '10.74.0.0/24', vni: 4174 })
    const a = ipOf((await d1.run('ovr', 'a')).ipv4Address)
    const b = ipOf((await d2.run('ovr', 'b')).ipv4Address)
    await untilPing(d1, 'a', b)
    await untilPing(d2, 'b', a)
    const oldName = (await d1.members()).find((m) => m.self)!.name

    await d1.kill('SIGKILL')
    await d1.restart()
    const newName = (await d1.members()).find((m) => m.self)!.name
    t.not(newName, oldName, 'the restarted daemon is a new cluster node')
    await untilPing(d1, 'a', b, 90_000).catch(async (err: Error) => {
      // what each side knows, for the report
      const tell = (l: { msg?: string }) => /cluster|overlay|peer/.test(l.msg ?? '')
      for (const d of [d1, d2])
        t.comment(
          `${d.host.name}: members ${JSON.stringify(await d.members())}; fdb ${JSON.stringify(await remoteFdb(d))}; log ${JSON.stringify(d.logs().filter(tell).slice(-30))}`,
        )
      throw err
    })
    t.pass('a reaches b after the restart')

    // the other host finds the old node dead (and drops what it still owns)
    await until(
      `${d2.host.name} to see ${oldName} dead`,
      async () => {
        const m = (await d2.members()).find((x) => x.name === oldName)
        return m === undefined || m.state === 'dead' || m.state === 'left'
      },
      120_000,
    )
    // (when the two met only after that, the entry is dropped with the old node and comes back
    // with the new node's bulk sync: wait for it)
    const towards = (l: string) => l.includes(`dst ${d1.host.ip} `)
    await until(
      `${d2.host.name} to have an FDB entry towards ${d1.host.name} after ${oldName} is gone`,
      async () => (await remoteFdb(d2)).some(towards),
      60_000,
    )
    t.pass(`${d2.host.name} has its FDB entry towards ${d1.host.name} after ${oldName} is gone`)
    await untilPing(d2, 'b', a, 30_000)
    await untilPing(d1, 'a', b, 30_000)
    t.pass('both ways, after the old node was dropped')

    await d1.detach('a', 'ovr', 'a')
    await d1.unpublish('ovr', 'a')
    await d1.deleteContainer('a')
    await d2.detach('b', 'ovr', 'b')
    await d2.unpublish('ovr', 'b')
    await d2.deleteContainer('b')
    await removeOverlay(w, 'ovr')
    await removeGateways(w)
    t.same(await settledLeftovers(w, before), [], 'nothing left')
  },
)

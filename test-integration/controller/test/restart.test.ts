import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { memoryStore } from '@libnetwork/datastore'
import { IPNet } from '@libnetwork/types'
import { fileKV } from './file-kv.js'
import {
  get,
  hostEnv,
  kernelState,
  listNetns,
  outside,
  serve,
  sh,
  startController,
} from './helpers.js'

t.test('restart on the same store keeps networks, endpoints, names and ports', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  const store = memoryStore()
  const c1 = await startController(env, store)
  const net = await c1.createNetwork({
    name: 'keep',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.10.0/24') }] },
  })
  const ep = await c1.createEndpoint(net.id, {
    name: 'web',
    portBindings: [{ protocol: 'tcp', port: 80 }],
  })
  const sb = await c1.createSandbox({ containerId: 'web' })
  await c1.join(ep.id, sb.id)
  const before = c1.endpoint(ep.id)
  const hostPort = before.boundPorts[0]!.hostPort
  await serve(t, sb.key!, 80, 'still here')
  t.equal(await get(out.ns, out.hostIP, hostPort), 'still here')
  const kernelBefore = await kernelState(env.ns)
  await c1.stop()
  // A firewall reload while the controller is down.
  await sh(['ip', 'netns', 'exec', env.ns, 'iptables', '-t', 'nat', '-F', 'LN-DNAT'])
  t.equal(await get(out.ns, out.hostIP, hostPort), undefined, 'port lost with the rules')

  const c2 = await startController(env, store)
  t.same(c2.restoreSummary.repaired, [])
  t.ok(c2.restoreSummary.drivers.bridge!.recreated.includes('iptables rules'), 'rules re-created')
  t.same(c2.network('keep'), c1.network('keep'))
  t.same(c2.endpoint(ep.id), before)
  t.equal(c2.sandbox(sb.id).endpoints[0], ep.id)
  t.same(await kernelState(env.ns), kernelBefore, 'kernel state as before the restart')
  t.equal(await get(out.ns, out.hostIP, hostPort), 'still here', 'published port works again')
  const ep2 = await c2.createEndpoint(net.id, {
    name: 'web2',
    portBindings: [{ protocol: 'tcp', port: 80 }],
  })
  t.not(ep2.address!.toString(), before.address!.toString(), 'new address does not collide')
  const sb2 = await c2.createSandbox({ containerId: 'web2' })
  await c2.join(ep2.id, sb2.id)
  t.not(c2.endpoint(ep2.id).boundPorts[0]!.hostPort, hostPort, 'new host port does not collide')
  await t.rejects(c2.createEndpoint(net.id, { name: 'web' }), { name: 'NameConflictError' })
})

t.test('the default gateway chosen by gwPriority survives a restart', async (t) => {
  const env = await hostEnv(t)
  const store = memoryStore()
  const c1 = await startController(env, store)
  const nets = []
  for (const [i, name] of ['low', 'high', 'mid'].entries()) {
    nets.push(
      await c1.createNetwork({
        name,
        driver: 'bridge',
        ipam: { config: [{ subnet: IPNet.parse(`172.31.${50 + i}.0/24`) }] },
      }),
    )
  }
  const [low, high, mid] = nets as [(typeof nets)[0], (typeof nets)[0], (typeof nets)[0]]
  const sb = await c1.createSandbox({ containerId: 'multi' })
  const eLow = await c1.createEndpoint(low.id, { name: 'e-low' })
  const eHigh = await c1.createEndpoint(high.id, { name: 'e-high' })
  const eMid = await c1.createEndpoint(mid.id, { name: 'e-mid' })
  const defaultVia = async () =>
    (
      JSON.parse(await sh(['ip', '-n', sb.key!, '-j', 'route', 'show', 'default'])) as Array<{
        gateway: string
      }>
    ).map((r) => r.gateway)
  await c1.join(eLow.id, sb.id)
  await c1.join(eHigh.id, sb.id, { gwPriority: 10 })
  t.same(await defaultVia(), ['172.31.51.1'], 'the higher priority wins')
  await c1.stop()

  const c2 = await startController(env, store)
  t.same(c2.restoreSummary.repaired, [])
  t.equal(c2.endpoint(eHigh.id).gwPriority, 10, 'priority restored')
  await c2.join(eMid.id, sb.id, { gwPriority: 5 })
  t.same(await defaultVia(), ['172.31.51.1'], '10 still beats 5 after the restart')
  t.equal(c2.sandbox(sb.id).gatewayEndpoint, eHigh.id)
  await c2.leave(eHigh.id, sb.id)
  t.same(await defaultVia(), ['172.31.52.1'], 'then 5 beats 0')
  await c2.settled()
  t.same(
    (await sh(['ip', '-n', sb.key!, '-o', 'link', 'show'])).split('\n').filter(Boolean).length,
    3,
    'lo and two interfaces left once the leave settled',
  )
})

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))

t.test('kill -9 in the middle of a join or leave leaves no half-made state', async (t) => {
  const env = await hostEnv(t)
  const dir = mkdtempSync(join(tmpdir(), 'lnt-controller-'))
  const file = join(dir, 'store') // a directory: the lmdb store's files
  for (const stage of ['after-move', 'after-ports', 'after-leave']) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, env.ns, env.sandboxPrefix, file, stage],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const ids = await new Promise<{ ep: string; sb: string }>((resolve, reject) => {
      let buf = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        buf += d
        const m = /^paused (\S+) (\S+)$/m.exec(buf)
        if (m) resolve({ ep: m[1]!, sb: m[2]! })
      })
      child.once('exit', (code) => reject(new Error(`child exited ${code} before pausing: ${buf}`)))
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))

    const kv = fileKV(file)
    t.teardown(() => kv.close())
    const c = await startController(env, kv)
    const ep = c.endpoint(ids.ep)
    t.equal(ep.sandboxId, undefined, `${stage}: the endpoint is not joined`)
    t.same(ep.boundPorts, [])
    t.same(c.sandbox(ids.sb).endpoints, [])
    // Mid-leave the interface is renamed out of service (maybe deleted already by the reaper).
    const repair = stage === 'after-leave' ? 'half-joined state cleared' : 'stray interface'
    t.ok(
      c.restoreSummary.repaired.some((r) => r.includes(repair)),
      `${stage}: ${repair}`,
    )
    t.same(
      (await sh(['ip', '-n', c.sandbox(ids.sb).key!, '-o', 'link', 'show']))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(': ')[1]),
      ['lo'],
      `${stage}: only loopback in the sandbox`,
    )
    const st = await kernelState(env.ns)
    t.notOk(st.iptables.includes('-j DNAT'), `${stage}: no port rules left`)
    // joining again works, and leave/delete/delete leave only the network behind
    await c.join(ids.ep, ids.sb)
    t.equal(c.endpoint(ids.ep).ifName, 'eth0')
    await c.leave(ids.ep, ids.sb)
    await c.deleteEndpoint(ids.ep)
    await c.deleteSandbox(ids.sb)
    await c.deleteNetwork('crash')
    await c.stop()
    t.same(await listNetns(env.sandboxPrefix), [], `${stage}: no sandbox namespaces left`)
    const links = (await kernelState(env.ns)).links
    t.same(links, ['lo'], `${stage}: no links left`)
  }
})

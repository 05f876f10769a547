// A remote network and IPAM plugin process (test/veth-plugin.mjs) behind a real dnet daemon in
// a test host namespace: networks created through it, containers joined and talking, and the
// plugin killed mid-join and restarted.
import t from 'tap'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
// The dnet integration harness: a host namespace, the daemon in it, the CLI, containers.
import { FETCH, Host, serve, sh } from '../../dnet/test/harness.js'
import { startPlugin } from './plugin-process.js'

/** Wait until `cond()` holds (bounded): conditions, not fixed sleeps. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return
    await sleep(25)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function links(netns: string): Promise<string[]> {
  const out = await sh(['nsenter', `--net=${netns}`, 'ip', '-o', 'link', 'show'])
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!)
}

t.test('a veth plugin: network, IPAM, two containers, killed mid-join and back', async (t) => {
  const h = await Host.create(t)
  const dir = join(h.dir, 'vethplug')
  mkdirSync(join(dir, 'plugins'), { recursive: true })
  const config = join(h.dir, 'dnet.toml')
  writeFileSync(config, `[plugins]\nsocket_dirs = ["${join(dir, 'plugins')}"]\nspec_dirs = []\n`)
  let plugin = await startPlugin(t, h, dir)
  await h.start(['--default-network', '', '--config', config])

  await h.ok(
    'network',
    'create',
    '-d',
    'vethplug',
    '--ipam-driver',
    'vethplug',
    '--subnet',
    '10.88.0.0/24',
    '--gateway',
    '10.88.0.1',
    'pnet',
  )
  t.match(await h.ok('network', 'ls'), /pnet\s+vethplug\s+10\.88\.0\.0\/24/)
  t.match(
    await h.ok('plugin', 'ls'),
    /vethplug\s+NetworkDriver,IpamDriver\s+unix:\/\/\S+vethplug\.sock/,
    'plugin ls shows the plugin and what it implements',
  )
  const unknown = await h.cli('network', 'create', '-d', 'nosuchplugin', 'x')
  t.not(unknown.code, 0, 'an unknown driver name is refused')
  t.match(unknown.err, /nosuchplugin/)

  for (const c of ['c1', 'c2', 'c3']) await h.ok('container', 'create', c)
  for (const s of ['s1', 's2', 's3']) await h.ok('service', 'publish', `${s}.pnet`)
  const a1 = (await h.ok('service', 'attach', 'c1', 's1.pnet')).trim()
  const a2 = (await h.ok('service', 'attach', 'c2', 's2.pnet')).trim()
  t.match(a1, /^10\.88\.0\.\d+\/24$/, 'the plugin IPAM gave the address')
  t.match(a2, /^10\.88\.0\.\d+\/24$/)
  t.not(a1, a2)
  const keys: Record<string, string> = Object.fromEntries(
    JSON.parse(await h.ok('container', 'ls', '--json')).map((c: any) => [c.containerId, c.key]),
  )
  t.ok((await links(keys.c1!)).includes('eth0'), 'the plugin interface is in c1 as eth0')
  await serve(t, keys.c2!, 80, 'pong')
  const ip2 = a2.split('/')[0]!
  t.equal((await h.inContainer(keys.c1!, FETCH, ip2, '80')).trim(), 'pong', 'c1 reaches c2')

  // Killed mid-join: the plugin holds the Join, the test kills it, then starts it again.
  writeFileSync(join(dir, 'hang-join'), '')
  const attach = h.cli('service', 'attach', 'c3', 's3.pnet')
  await until(() => existsSync(join(dir, 'joining')), 'the plugin to receive the Join')
  const dead = new Promise((r) => plugin.once('exit', r))
  plugin.kill('SIGKILL')
  await dead
  rmSync(join(dir, 'hang-join'))
  rmSync(join(dir, 'joining'))
  plugin = await startPlugin(t, h, dir)
  const failed = await attach
  t.not(failed.code, 0, 'the join fails')
  t.match(failed.err, /vethplug/, `a typed plugin error: ${failed.err.trim()}`)
  t.same(await links(keys.c3!), ['lo'], 'nothing reached the container')
  t.notMatch(await h.ok('service', 'ls', '--net', 'pnet'), /s3\s+pnet\s+c3/, 's3 is not attached')

  // The restarted plugin is used again.
  const a3 = (await h.ok('service', 'attach', 'c3', 's3.pnet')).trim()
  t.match(a3, /^10\.88\.0\.\d+\/24$/)
  t.equal((await h.inContainer(keys.c3!, FETCH, ip2, '80')).trim(), 'pong', 'c3 reaches c2')

  for (const [c, s] of [
    ['c1', 's1'],
    ['c2', 's2'],
    ['c3', 's3'],
  ] as const) {
    await h.ok('service', 'detach', c, `${s}.pnet`)
    await h.ok('service', 'unpublish', `${s}.pnet`)
  }
  await h.ok('container', 'rm', 'c1', 'c2', 'c3')
  await h.ok('network', 'rm', 'pnet')
  const left = (await links(`/var/run/netns/${h.ns}`)).filter((l) => l.startsWith('vp'))
  t.same(left, [], 'no bridge or veth of the plugin left in the host')
})

// P3.join (issue 18): attaching a container to a network served by a remote plugin (the veth
// plugin process of the tests, over its unix socket) against the same attach on the built-in
// bridge, in the same run, through a real dnet daemon's REST API in a test host namespace.
// N containers per network, alternating bridge and plugin; median of each (ms). Writes
// bench-results/plugins-integration.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, now, writeResults } from '../../../tools/bench.mjs'
import { Host } from '../../dnet/test/harness.js'
import { startPlugin } from '../test/plugin-process.js'

const N = 20
const cleanups: Array<() => unknown> = []
const td = { teardown: (fn: () => unknown) => void cleanups.push(fn) }
try {
  const h = await Host.create(td)
  const dir = join(h.dir, 'vethplug')
  mkdirSync(join(dir, 'plugins'), { recursive: true })
  const config = join(h.dir, 'dnet.toml')
  writeFileSync(config, `[plugins]\nsocket_dirs = ["${join(dir, 'plugins')}"]\nspec_dirs = []\n`)
  await startPlugin(td, h, dir)
  await h.start(['--default-network', '', '--config', config])
  const api = async (method: string, path: string, body?: object): Promise<unknown> => {
    const r = await h.api(method, path, body)
    if (r.status >= 400) throw new Error(`${method} ${path}: ${JSON.stringify(r.body)}`)
    return r.body as unknown
  }
  await api('POST', '/networks', {
    name: 'br',
    driver: 'bridge',
    ipam: { config: [{ subnet: '10.90.0.0/24' }] },
  })
  await api('POST', '/networks', {
    name: 'vp',
    driver: 'vethplug',
    ipam: { config: [{ subnet: '10.91.0.0/24' }] },
  })
  const times: Record<'br' | 'vp', number[]> = { br: [], vp: [] }
  for (let i = 0; i < N; i++) {
    for (const net of ['br', 'vp'] as const) {
      const c = `${net}-c${i}`
      await api('POST', '/sandboxes', { containerId: c })
      await api('POST', `/networks/${net}/endpoints`, { name: `s${i}` })
      const t0 = now()
      await api('POST', `/networks/${net}/endpoints/s${i}/sandboxes`, { sandbox: c })
      times[net].push(now() - t0)
    }
  }
  const remote = median(times.vp)
  const bridge = median(times.br)
  writeResults('plugins-integration', [
    {
      id: 'P3.join',
      name: `attach a container to a remote plugin's network (REST, median of ${N})`,
      value: remote,
      unit: 'ms',
    },
    {
      id: 'P3.join.bridge',
      name: `the same attach on the built-in bridge, same run (median of ${N})`,
      value: bridge,
      unit: 'ms',
    },
    {
      id: 'P3.join.ratio',
      name: 'remote attach / bridge attach',
      value: remote / bridge,
      unit: 'x',
    },
  ])
} finally {
  for (const fn of cleanups.reverse()) await fn()
}

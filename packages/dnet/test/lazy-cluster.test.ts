// Without [cluster] the daemon loads no gossip, NetworkDB, cluster or overlay code (they cost
// ~5 MiB of idle RSS); `overlay` is still a known driver that refuses networks, naming the
// missing section. With [cluster] the overlay driver's namespaces get a per-daemon prefix.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { UnavailableError, noopLogger } from '@libnetwork/types'
import { overlayPrefix } from '../src/cluster-wiring.js'
import { overlayWithoutCluster } from '../src/wiring.js'

const clusterCode = /\/packages\/(cluster|networkdb|gossip|drivers\/overlay)\//

t.test('the wiring loads cluster code only through the [cluster] path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-graph-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('fixtures/module-graph.mjs', import.meta.url))],
    { env: { ...process.env, LNT_MODULE_LOG: join(dir, 'log') }, timeout: 120_000 },
  )
  const { wiring, withCluster } = JSON.parse(stdout) as { wiring: string[]; withCluster: string[] }
  t.ok(
    wiring.some((u) => u.includes('/packages/drivers/bridge/')),
    'the recorder sees the wiring’s own imports',
  )
  t.same(
    wiring.filter((u) => clusterCode.test(u)),
    [],
    'no cluster, NetworkDB, gossip or overlay module',
  )
  for (const p of ['cluster', 'networkdb', 'gossip', 'drivers/overlay'])
    t.ok(
      withCluster.some((u) => u.includes(`/packages/${p}/`)),
      `the cluster wiring brings ${p}`,
    )
})

t.test(
  'overlay without [cluster]: refused, naming the section, before anything is made',
  async (t) => {
    const d = overlayWithoutCluster({ logger: noopLogger })
    t.equal(d.type, 'overlay')
    t.equal(d.capability.dataScope, 'global')
    const err = (() => {
      try {
        d.parseNetworkOptions({})
      } catch (e) {
        return e
      }
    })()
    t.ok(UnavailableError.isInstance(err))
    t.match(err, { code: 'overlay-needs-cluster', message: /\[cluster\]/ })
    await t.rejects(
      d.createNetwork({
        networkId: 'n',
        name: 'n',
        options: {},
        ipv4: [],
        ipv6: [],
        enableIPv6: false,
        internal: false,
        labels: {},
      }),
      { code: 'overlay-needs-cluster' },
    )
    t.same(await d.restore({ networks: [], endpoints: [] }), { removed: [], recreated: [] })
  },
)

t.test('the overlay namespace prefix: per daemon, never under the sandbox prefix', async (t) => {
  for (const [sb, ov] of [
    ['dnet-sb-', 'dnet-sb_ov-'],
    ['lnt-mh-abc-h1-sb-', 'lnt-mh-abc-h1-sb_ov-'],
    ['x_', 'x.ov-'],
    ['sb', 's_ov-'],
  ] as const) {
    t.equal(overlayPrefix(sb), ov)
    t.notOk(overlayPrefix(sb).startsWith(sb), `${ov} is not under ${sb}`)
  }
  t.not(overlayPrefix('h1-sb-'), overlayPrefix('h2-sb-'))
})

// Bad input through the API and the CLI: 4xx with a clear message, the daemon keeps running,
// nothing changes. And the API socket refuses users other than root.
import t from 'tap'
import { DNET, Host, sh } from './harness.js'

t.test('bad requests are refused and change nothing', async (t) => {
  const h = await Host.create(t)
  await h.start(['--default-network', ''])
  await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'good')
  const links = await sh(['ip', '-n', h.ns, '-j', 'link', 'show'])
  const cases: [string, string, string | object, number, RegExp][] = [
    ['POST', '/networks', '{"name":', 400, /not valid JSON/],
    ['POST', '/networks', { name: 'x', bogus: 1 }, 400, /unknown field "bogus"/],
    ['POST', '/networks', { name: 'no spaces' }, 400, /name/],
    [
      'POST',
      '/networks',
      { name: 'x', ipam: { config: [{ subnet: '10.0.0.0/99' }] } },
      400,
      /prefix|subnet|CIDR/,
    ],
    [
      'POST',
      '/networks',
      { name: 'x', ipam: { config: [{ subnet: '10.77.0.0/16' }] } },
      409,
      /overlap/i,
    ],
    ['POST', '/networks', { name: 'good' }, 409, /exists|already/],
    ['POST', '/networks', { name: 'x', driver: 'nosuch' }, 404, /driver/],
    ['PATCH', '/networks', { name: 'x' }, 405, /not allowed/],
    ['POST', '/networks', 'x'.repeat(2 << 20), 413, /larger than/],
    ['DELETE', '/networks/none', '', 404, /not found/],
  ]
  for (const [method, path, body, status, msg] of cases) {
    const r = await h.api(method, path, body === '' ? undefined : body)
    t.equal(
      r.status,
      status,
      `${method} ${path} ${String(JSON.stringify(body)).slice(0, 40)}: status`,
    )
    t.match(r.body?.error?.message ?? '', msg, 'message')
  }
  t.same(
    (JSON.parse(await h.ok('network', 'ls', '--json')) as any[]).map((n) => n.name),
    ['good'],
    'state unchanged',
  )
  t.equal(await sh(['ip', '-n', h.ns, '-j', 'link', 'show']), links, 'no links added or removed')

  const cli = await h.cli('network', 'create', '--subnet', 'not-a-cidr', 'bad')
  t.equal(cli.code, 1)
  t.match(cli.err, /^Error: .*subnet/m)
  const usage = await h.cli('network', 'create')
  t.equal(usage.code, 2)
  const del = await h.cli('network', 'rm', 'good')
  t.equal(del.code, 0, 'the daemon still works after all that')
})

t.test(
  'deleting a network with endpoints and joining a deleted endpoint are typed errors',
  async (t) => {
    const h = await Host.create(t)
    await h.start(['--default-network', ''])
    await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'n')
    await h.ok('service', 'publish', 's.n')
    const busy = await h.cli('network', 'rm', 'n')
    t.equal(busy.code, 1)
    t.match(busy.err, /\((conflict|forbidden)\)/)
    await h.ok('service', 'unpublish', 's.n')
    await h.ok('container', 'create', 'c')
    const gone = await h.cli('service', 'attach', 'c', 's.n')
    t.equal(gone.code, 1)
    t.match(gone.err, /not found/)
  },
)

t.test('the API socket refuses a user other than root', async (t) => {
  const h = await Host.create(t)
  await h.start(['--default-network', ''])
  const { execFile } = await import('node:child_process')
  const r = await new Promise<{ code: number; err: string }>((resolve) =>
    execFile(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        DNET,
        '-H',
        `unix://${h.socket}`,
        'network',
        'ls',
      ],
      { encoding: 'utf8' },
      (e, _out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, err }),
    ),
  )
  t.equal(r.code, 1, 'non-root CLI fails')
  t.match(r.err, /permission denied/)
  t.equal((await h.cli('network', 'ls')).code, 0, 'root still gets in')
})

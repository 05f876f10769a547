// Other hosts' names fed into service discovery through controller.setRemoteRecords: every
// sandbox on the network answers them, stops after removal, and records that arrive before any
// sandbox joins are served at its join. The resolvers are a fake DnsServing keeping one
// RecordTable per sandbox (the real DnsService is covered, as root, by dns.test.ts).
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordTable, type RecordUpdate } from '@libnetwork/resolver'
import { IP } from '@libnetwork/types'
import { Controller, InvalidConfigError, serviceDiscovery, type DnsServing } from '../src/index.js'
import { fakeDriver, fakeIpam, fakeOS } from './fakes.js'

function fakeDns(): DnsServing & { tables: Map<string, RecordTable> } {
  const tables = new Map<string, RecordTable>()
  return {
    tables,
    async serve(id: string, _ns: string, _up: string[], records: RecordUpdate[]) {
      const table = new RecordTable()
      for (const u of records) table.apply(u)
      tables.set(id, table)
    },
    async update(ids: string[], updates: RecordUpdate[]) {
      for (const id of ids) for (const u of updates) tables.get(id)?.apply(u)
    },
    async close(id: string) {
      tables.delete(id)
    },
    async stop() {
      tables.clear()
    },
  }
}

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-controller-remote-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n')
  const dns = fakeDns()
  const c = await Controller.start({
    drivers: { fake: fakeDriver().factory },
    ipams: { default: () => fakeIpam() },
    os: fakeOS(),
    discovery: serviceDiscovery({
      dir: join(dir, 'sb'),
      hostResolvConf: join(dir, 'resolv.conf'),
      dns,
    }),
  })
  t.teardown(() => c.stop())
  return { c, dns }
}

const web = {
  endpointId: 'ep-remote-1',
  name: 'web',
  aliases: ['www'],
  ipv4: IP.parse('10.9.0.5'),
  ipv6: IP.parse('fd00::5'),
  node: 'host-a',
}

t.test('remote names reach the sandboxes on the network and go away on removal', async (t) => {
  const { c, dns } = await setup(t)
  const net = await c.createNetwork({ name: 'n', driver: 'fake' })
  const ep = await c.createEndpoint('n', { name: 'e' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  await c.join(ep.id, sb.id)
  const table = () => dns.tables.get(sb.id)!
  t.ok(table(), 'the sandbox is served')
  t.equal(table().lookupName('web'), undefined, 'not known before')

  await c.setRemoteRecords(net.id, [web])
  const a = table().lookupName('web')
  t.not(a, 'nxdomain')
  t.not(a, undefined)
  const answer = a as Exclude<typeof a, 'nxdomain' | undefined>
  t.same(answer.ipv4.map(String), ['10.9.0.5'], 'A')
  t.same(answer.ipv6.map(String), ['fd00::5'], 'AAAA')
  t.same(
    table().lookupAddress('10.9.0.5'),
    ['web.n'],
    'PTR of the name (on its network), not the alias',
  )
  const alias = table().lookupName('www')
  t.same((alias as typeof answer).ipv4.map(String), ['10.9.0.5'], 'alias A')

  // An update (same endpoint id, new address) replaces the old record.
  await c.setRemoteRecords(net.id, [{ ...web, ipv4: IP.parse('10.9.0.6') }], [web])
  t.same((table().lookupName('web') as typeof answer).ipv4.map(String), ['10.9.0.6'])
  t.equal(table().lookupAddress('10.9.0.5'), undefined, 'old PTR gone')

  await c.setRemoteRecords(net.id, [], [web])
  t.equal(table().lookupName('web'), undefined, 'name gone after removal')
  t.equal(table().lookupName('www'), undefined, 'alias gone after removal')
})

t.test('records of a network with no sandbox yet are served at the first join', async (t) => {
  const { c, dns } = await setup(t)
  const net = await c.createNetwork({ name: 'n', driver: 'fake' })
  await c.createNetwork({ name: 'o', driver: 'fake' })
  await c.setRemoteRecords(net.id, [web])
  await c.setRemoteRecords('network-not-here-yet', [{ ...web, endpointId: 'x', name: 'db' }])

  const sbo = await c.createSandbox({ containerId: 'c0' })
  await c.join((await c.createEndpoint('o', { name: 'eo' })).id, sbo.id)
  t.equal(dns.tables.get(sbo.id)?.lookupName('web'), undefined, 'not on another network')

  const sb = await c.createSandbox({ containerId: 'c1' })
  await c.join((await c.createEndpoint('n', { name: 'e' })).id, sb.id)
  const a = dns.tables.get(sb.id)!.lookupName('web')
  t.same((a as { ipv4: readonly string[] }).ipv4, ['10.9.0.5'], 'served at join')

  // A second sandbox joining later is served from the same kept records.
  const sb2 = await c.createSandbox({ containerId: 'c2' })
  await c.join((await c.createEndpoint('n', { name: 'e2' })).id, sb2.id)
  t.ok(dns.tables.get(sb2.id)!.lookupName('www'), 'alias served to the second sandbox')

  await c.setRemoteRecords(net.id, [], [web])
  t.equal(dns.tables.get(sb.id)!.lookupName('web'), undefined)
  t.equal(dns.tables.get(sb2.id)!.lookupName('web'), undefined)
})

t.test('malformed records are refused and change nothing', async (t) => {
  const { c, dns } = await setup(t)
  const net = await c.createNetwork({ name: 'n', driver: 'fake' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  await c.join((await c.createEndpoint('n', { name: 'e' })).id, sb.id)
  const bad: [string, unknown[]][] = [
    ['bad name', [{ ...web, name: 'not a name!' }]],
    ['no endpoint id', [{ ...web, endpointId: '' }]],
    ['v6 as ipv4', [{ ...web, ipv4: IP.parse('fd00::9') }]],
    ['bad alias', [{ ...web, aliases: ['ok', 'bad alias'] }]],
  ]
  for (const [what, recs] of bad) {
    // The first record is good: a refusal must not apply it either.
    const all = [{ ...web, endpointId: 'good', name: 'good' }, ...recs]
    await t.rejects(
      c.setRemoteRecords(net.id, all as never),
      { name: 'InvalidConfigError', code: 'invalid-config' },
      what,
    )
  }
  await t.rejects(c.setRemoteRecords('', [web]), InvalidConfigError)
  await t.rejects(c.setRemoteRecords(net.id, 'web' as never), { code: 'invalid-config' })
  t.equal(dns.tables.get(sb.id)!.lookupName('good'), undefined, 'nothing applied')
})

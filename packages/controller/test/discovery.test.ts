import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IP } from '@libnetwork/types'
import { Controller, serviceDiscovery } from '../src/index.js'
import { fakeDriver, fakeIpam, fakeOS } from './fakes.js'

t.test('sandboxes get hosts and resolv.conf files that follow joins', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-controller-unit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'resolv.conf'),
    'nameserver 192.0.2.53\nnameserver 127.0.0.53\nsearch corp.example\n',
  )
  const c = await Controller.start({
    drivers: { fake: fakeDriver().factory },
    ipams: { default: () => fakeIpam() },
    os: fakeOS(),
    discovery: serviceDiscovery({
      dir: join(dir, 'sb'),
      hostResolvConf: join(dir, 'resolv.conf'),
      embeddedDNS: false,
    }),
  })
  await c.createNetwork({ name: 'n', driver: 'fake' })
  const ep = await c.createEndpoint('n', { name: 'e' })
  const sb = await c.createSandbox({
    containerId: 'c1',
    hostname: 'box',
    domainname: 'lan',
    extraHosts: [{ name: 'db', ip: IP.parse('192.0.2.10') }],
    dns: { search: ['svc.example'] },
  })
  t.equal(sb.hostsPath, join(dir, 'sb', sb.id, 'hosts'))
  const resolv = readFileSync(sb.resolvConfPath!, 'utf8')
  t.match(resolv, /^nameserver 192\.0\.2\.53$/m, 'host nameserver kept')
  t.notMatch(resolv, /127\.0\.0\.53/, 'loopback nameserver dropped')
  t.match(resolv, /^search svc\.example$/m, 'user search domain')
  t.match(readFileSync(sb.hostsPath!, 'utf8'), /192\.0\.2\.10\s+db/)
  await c.join(ep.id, sb.id)
  t.match(
    readFileSync(sb.hostsPath!, 'utf8'),
    /172\.18\.0\.2\s+box\.lan\s+box/,
    'own address after join',
  )
  await c.leave(ep.id, sb.id)
  t.notMatch(readFileSync(sb.hostsPath!, 'utf8'), /172\.18\.0\.2/, 'own address gone after leave')
  await c.deleteSandbox(sb.id)
  // The folder goes on the thread pool after the delete has answered; settled() waits for it.
  await c.settled()
  t.notOk(existsSync(join(dir, 'sb', sb.id)), 'files removed with the sandbox')

  // Deleted and made again under the same id at once: the new files survive the old removal.
  const again = await c.createSandbox({ containerId: 'c2', id: sb.id })
  await c.deleteSandbox(again.id)
  const third = await c.createSandbox({ containerId: 'c3', id: sb.id })
  await c.settled()
  t.ok(existsSync(third.hostsPath!), 'hosts of the re-created sandbox kept')
  t.ok(existsSync(third.resolvConfPath!), 'resolv.conf of the re-created sandbox kept')
  await c.stop()
})

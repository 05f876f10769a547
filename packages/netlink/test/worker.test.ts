// Privileged: enterNetns inside worker threads; node:dgram / node:net sockets opened there
// live in the namespace (as the embedded DNS resolver needs).
import t from 'tap'
import { InterfaceAddress } from '@libnetwork/types'
import { Netlink } from '../src/index.js'
import { nsWorker, testNetns, threadNetns } from './helpers.js'

t.test('a worker binds UDP and TCP on an address that exists only in the namespace', async (t) => {
  const ns = testNetns(t, 'wrk')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.setUp('lo')
  h.createLink({ kind: 'bridge', name: 'br0', up: true })
  h.addAddress('br0', InterfaceAddress.parse('10.99.0.1/24'))
  const home = threadNetns()

  const udp = await nsWorker({ netns: ns, role: 'udp-server', address: '10.99.0.1', port: 5353 })
  t.teardown(() => udp.stop())
  const udpClient = await nsWorker({
    netns: ns,
    role: 'udp-client',
    address: '10.99.0.1',
    port: 5353,
    message: 'hello',
  })
  t.equal(udpClient.reply, 'HELLO')
  await udpClient.stop()

  const tcp = await nsWorker({ netns: ns, role: 'tcp-server', address: '10.99.0.1', port: 5353 })
  t.teardown(() => tcp.stop())
  const tcpClient = await nsWorker({
    netns: ns,
    role: 'tcp-client',
    address: '10.99.0.1',
    port: 5353,
    message: 'over tcp',
  })
  t.equal(tcpClient.reply, 'OVER TCP')
  await tcpClient.stop()

  t.equal(threadNetns(), home, 'the main thread never left its namespace')
  // The address does not exist here, so the same bind fails in the main thread's namespace.
  const dgram = await import('node:dgram')
  const s = dgram.createSocket('udp4')
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    s.once('error', resolve)
    s.bind(5353, '10.99.0.1')
  })
  s.close()
  t.equal(err.code, 'EADDRNOTAVAIL')
})

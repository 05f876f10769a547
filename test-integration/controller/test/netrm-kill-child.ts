// Child process of network-delete.test.ts: start a controller on a file store, make a network
// with a joined endpoint publishing a port, leave and delete the endpoint, delete the network
// and kill itself with SIGKILL the moment the delete returned (the leave's tail, the bridge
// and its rules may still be pending). Prints the network's id first.
import { writeSync } from 'node:fs'
import { IPNet } from '@libnetwork/types'
import { childController } from './kill-child.js'

const c = await childController()
const net = await c.createNetwork({
  name: 'doomed',
  driver: 'bridge',
  ipam: { config: [{ subnet: IPNet.parse('172.31.26.0/24') }] },
  options: { 'com.docker.network.bridge.name': 'lnt-doomed' },
})
const ep = await c.createEndpoint(net.id, {
  name: 'web',
  portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8091 }],
})
const sb = await c.createSandbox({ containerId: 'c-doomed' })
await c.join(ep.id, sb.id)
await c.leave(ep.id, sb.id)
await c.deleteEndpoint(ep.id)
// (the sandbox stays: this is about the network)
await c.deleteNetwork(net.id)
writeSync(1, `deleted ${net.id}\n`)
process.kill(process.pid, 'SIGKILL')

// Child process of network-delete.test.ts: start a controller on a file store, make a network
// with a joined endpoint publishing a port, leave and delete the endpoint, delete the network
// and kill itself with SIGKILL the moment the delete returned (the leave's tail, the bridge
// and its rules may still be pending). Prints the network's id first.
import { writeSync } from 'node:fs'
import { Controller, kvStore, oslSandboxOS } from '@libnetwork/controller'
import { bridge } from '@libnetwork/driver-bridge'
import { DefaultIpam } from '@libnetwork/ipam'
import { IPNet } from '@libnetwork/types'
import { fileKV } from './file-kv.js'

const [ns, prefix, file] = process.argv.slice(2) as [string, string, string]
const c = await Controller.start({
  drivers: { bridge: bridge({ netns: ns }) },
  ipams: { default: () => new DefaultIpam() },
  store: kvStore(fileKV(file)),
  os: oslSandboxOS({ hostNetns: ns }),
  namespacePrefix: prefix,
})
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

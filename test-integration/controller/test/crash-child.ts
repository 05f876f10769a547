// Child process of restart.test.ts: start a controller on a file store, create a network, an
// endpoint with a published port and a sandbox, then join (and for `after-leave` leave) and
// freeze at `stage`, printing "paused <endpoint> <sandbox>" so the parent can kill -9 it there.
import { Controller, oslSandboxOS, type SandboxOS } from '@libnetwork/controller'
import { bridge } from '@libnetwork/driver-bridge'
import { DefaultIpam } from '@libnetwork/ipam'
import { IPNet } from '@libnetwork/types'
import { fileKV } from './file-kv.js'

const [ns, prefix, file, stage] = process.argv.slice(2) as [string, string, string, string]
const hang = (ep: string, sb: string) => {
  console.log(`paused ${ep} ${sb}`)
  return new Promise<never>(() => undefined)
}
let ids = { ep: '', sb: '' }
const real = oslSandboxOS({ hostNetns: ns })
const os: SandboxOS = {
  ...real,
  async addInterface(key, spec) {
    await real.addInterface(key, spec)
    if (stage === 'after-move') await hang(ids.ep, ids.sb)
  },
  async setGateway(key, gw) {
    await real.setGateway(key, gw)
  },
  // The interface is out of service and its deletion queued, the leave not yet recorded.
  async removeInterface(key, name) {
    const r = await real.removeInterface(key, name)
    if (stage === 'after-leave') await hang(ids.ep, ids.sb)
    return r
  },
}
const driverFactory = bridge({}, { netns: ns })
const c = await Controller.start({
  drivers: {
    bridge: (components) => {
      const d = driverFactory(components)
      const program = d.programExternalConnectivity.bind(d)
      d.programExternalConnectivity = async (req, o) => {
        const r = await program(req, o)
        if (stage === 'after-ports') await hang(ids.ep, ids.sb)
        return r
      }
      return d
    },
  },
  ipams: { default: () => new DefaultIpam() },
  store: fileKV(file),
  os,
  namespacePrefix: prefix,
})
const net =
  c.networks().find((n) => n.name === 'crash') ??
  (await c.createNetwork({
    name: 'crash',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.20.0/24') }] },
  }))
const ep = await c.createEndpoint(net.id, {
  name: `ep-${stage}`,
  portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8088 }],
})
const sb = await c.createSandbox({ containerId: `c-${stage}` })
ids = { ep: ep.id, sb: sb.id }
await c.join(ep.id, sb.id)
if (stage === 'after-leave') await c.leave(ep.id, sb.id)
console.log('join finished: the stage was never reached')
process.exit(3)

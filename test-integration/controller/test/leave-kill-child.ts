// Child process of unmap.test.ts: start a controller on a file store, publish a port for a
// joined endpoint, leave, and kill itself with SIGKILL the moment the leave returned (the
// bridge driver may still have the removal of the port's rules queued). Prints the ids first.
import { writeSync } from 'node:fs'
import { IPNet } from '@libnetwork/types'
import { childController } from './kill-child.js'

const c = await childController()
const net = await c.createNetwork({
  name: 'unmap',
  driver: 'bridge',
  ipam: { config: [{ subnet: IPNet.parse('172.31.24.0/24') }] },
})
const ep = await c.createEndpoint(net.id, {
  name: 'web',
  portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8089 }],
})
const sb = await c.createSandbox({ containerId: 'c-unmap' })
await c.join(ep.id, sb.id)
writeSync(1, `joined ${ep.id} ${sb.id}\n`)
await c.leave(ep.id, sb.id)
writeSync(1, 'left\n')
process.kill(process.pid, 'SIGKILL')

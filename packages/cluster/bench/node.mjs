// One host's cluster agent and EndpointSync in its own process (over the built package), driven
// by bench/run.ts over IPC. Times are wall-clock ms with sub-ms resolution, comparable across
// the processes of one machine.
import { IP } from '@libnetwork/types'
import { ClusterAgent, EndpointSync } from '../dist/index.js'

const name = process.argv[2]
const clock = () => performance.timeOrigin + performance.now()
const seen = new Map() // endpoint name -> time its record arrived
const waiters = new Map() // endpoint name -> resolve

const agent = new ClusterAgent({ nodeName: name, bindAddress: IP.parse('127.0.0.1'), port: 0 })
const sync = new EndpointSync({
  tables: agent,
  onRecords(_nid, added) {
    const t = clock()
    for (const r of added) {
      seen.set(r.name, t)
      waiters.get(r.name)?.(t)
      waiters.delete(r.name)
    }
  },
})

const commands = {
  async start() {
    sync.start()
    await agent.start()
    return { address: agent.address }
  },
  async join({ seeds }) {
    for (const s of seeds) await agent.networkDB.join([s])
    return {}
  },
  async alive() {
    return { alive: agent.members().filter((m) => m.state === 'alive').length }
  },
  /** Announce one endpoint; t0 is taken just before the put (the network is joined already). */
  async announce({ network, endpointId, ep, ip }) {
    const t0 = clock()
    await sync.join({ networkId: network, endpointId, name: ep, ipv4: IP.parse(ip) })
    return { t0 }
  },
  async wait({ ep }) {
    const at = seen.get(ep) ?? (await new Promise((resolve) => waiters.set(ep, resolve)))
    return { at }
  },
  async stop() {
    await sync.stop()
    await agent.stop()
    return {}
  },
}

process.on('message', (m) => {
  commands[m.cmd](m).then(
    (r) => process.send({ id: m.id, ...r }),
    (err) => process.send({ id: m.id, error: String(err?.stack ?? err) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true })

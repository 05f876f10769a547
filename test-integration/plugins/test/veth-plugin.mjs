// A simple veth-based network plugin with its own IPAM, written with @libnetwork/plugin-server,
// run as a process inside the test's host namespace: `node veth-plugin.mjs <dir>`. It listens on
// <dir>/plugins/vethplug.sock and keeps its state in <dir>/state.json, so a restarted plugin
// knows its networks. Networks are bridges, endpoints veth pairs whose container end the
// daemon moves into the sandbox. When <dir>/hang-join exists, Join never answers (it writes
// <dir>/joining first), so a test can kill the plugin mid-join.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pluginServer } from '@libnetwork/plugin-server'

const dir = process.argv[2]
const statePath = join(dir, 'state.json')
const state = existsSync(statePath)
  ? JSON.parse(readFileSync(statePath, 'utf8'))
  : { pools: {}, networks: {}, endpoints: {} }
const save = () => writeFileSync(statePath, JSON.stringify(state))
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
const short = (id) => id.slice(0, 8)
const fail = (msg) => {
  throw new Error(msg)
}

/** a.b.c.d/24 pools only: that is all this test plugin needs. */
const base = (pool) => pool.split('/')[0].split('.').slice(0, 3).join('.')

const server = pluginServer({
  ipam: {
    getCapabilities: () => ({ RequiresMACAddress: false }),
    getDefaultAddressSpaces: () => ({
      LocalDefaultAddressSpace: 'vethlocal',
      GlobalDefaultAddressSpace: 'vethglobal',
    }),
    requestPool: (req) => {
      const pool = req.Pool || '10.88.0.0/24'
      if (!pool.endsWith('/24')) fail(`only /24 pools: ${pool}`)
      if (state.pools[pool]) fail(`pool ${pool} in use`)
      state.pools[pool] = { used: [] }
      save()
      return { PoolID: pool, Pool: pool, Data: {} }
    },
    releasePool: (req) => {
      delete state.pools[req.PoolID]
      save()
    },
    requestAddress: (req) => {
      const p = state.pools[req.PoolID] ?? fail(`no pool ${req.PoolID}`)
      let host
      if (req.Address) {
        host = Number(req.Address.split('.')[3])
        if (p.used.includes(host)) fail(`${req.Address} in use`)
      } else {
        for (let i = 1; i < 255 && host === undefined; i++) if (!p.used.includes(i)) host = i
      }
      p.used.push(host)
      save()
      return { Address: `${base(req.PoolID)}.${host}/24` }
    },
    releaseAddress: (req) => {
      const p = state.pools[req.PoolID] ?? fail(`no pool ${req.PoolID}`)
      const host = Number(req.Address.split('.')[3])
      p.used = p.used.filter((h) => h !== host)
      save()
    },
  },
  network: {
    getCapabilities: () => ({ Scope: 'local', ConnectivityScope: 'local' }),
    createNetwork: (req) => {
      const bridge = `vpb${short(req.NetworkID)}`
      const gateway = req.IPv4Data[0]?.Gateway
      ip('link', 'add', 'name', bridge, 'type', 'bridge')
      if (gateway) ip('addr', 'add', gateway, 'dev', bridge)
      ip('link', 'set', bridge, 'up')
      state.networks[req.NetworkID] = { bridge, gateway: gateway?.split('/')[0] ?? '' }
      save()
    },
    deleteNetwork: (req) => {
      const n = state.networks[req.NetworkID] ?? fail(`no network ${req.NetworkID}`)
      ip('link', 'del', n.bridge)
      delete state.networks[req.NetworkID]
      save()
    },
    createEndpoint: (req) => {
      const n = state.networks[req.NetworkID] ?? fail(`no network ${req.NetworkID}`)
      const hostEnd = `vph${short(req.EndpointID)}`
      const ctrEnd = `vpc${short(req.EndpointID)}`
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', ctrEnd)
      ip('link', 'set', hostEnd, 'master', n.bridge, 'up')
      state.endpoints[req.EndpointID] = { hostEnd, ctrEnd }
      save()
      return {}
    },
    deleteEndpoint: (req) => {
      const e = state.endpoints[req.EndpointID] ?? fail(`no endpoint ${req.EndpointID}`)
      // The daemon deletes the container end when the sandbox lets go of it (its peer goes too).
      try {
        ip('link', 'del', e.hostEnd)
      } catch (err) {
        if (!String(err.stderr).includes('Cannot find device')) throw err
      }
      delete state.endpoints[req.EndpointID]
      save()
    },
    join: (req) => {
      const n = state.networks[req.NetworkID] ?? fail(`no network ${req.NetworkID}`)
      const e = state.endpoints[req.EndpointID] ?? fail(`no endpoint ${req.EndpointID}`)
      if (existsSync(join(dir, 'hang-join'))) {
        writeFileSync(join(dir, 'joining'), req.EndpointID)
        return new Promise(() => {})
      }
      return {
        InterfaceName: { SrcName: e.ctrEnd, DstPrefix: 'eth' },
        ...(n.gateway ? { Gateway: n.gateway } : {}),
      }
    },
    leave: (req) => {
      if (!state.endpoints[req.EndpointID]) fail(`no endpoint ${req.EndpointID}`)
    },
  },
})
await server.listen({ socketPath: join(dir, 'plugins', 'vethplug.sock') })
process.stdout.write('up\n')
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))

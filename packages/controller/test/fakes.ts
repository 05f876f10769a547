// Fakes for unit tests of the controller: an in-memory IPAM, sandbox layer and driver.
import { ConflictError, IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import type { Capability, Driver, DriverFactory, JoinResult } from '@libnetwork/driverapi'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import type { IpamDriver } from '@libnetwork/ipam'
import { Controller, type SandboxOS } from '../src/index.js'

export interface FakeIpam extends IpamDriver {
  used: Map<string, Set<string>>
  /** The address space of every pool requested, in order. */
  spaces: string[]
}

export function fakeIpam(): FakeIpam {
  const pools = new Map<string, { pool: IPNet; used: Set<string> }>()
  let next = 0
  const used = new Map<string, Set<string>>()
  const spaces: string[] = []
  return {
    type: 'fake',
    used,
    spaces,
    async getDefaultAddressSpaces() {
      return { local: 'fake-local', global: 'fake-global' }
    },
    capabilities: () => ({ requiresMACAddress: false, requiresRequestReplay: false }),
    async requestPool(req) {
      spaces.push(req.addressSpace ?? '')
      const pool =
        typeof req.pool === 'string'
          ? IPNet.parse(req.pool)
          : (req.pool ?? IPNet.parse(`172.${18 + next}.0.0/16`))
      for (const p of pools.values()) {
        if (p.pool.overlaps(pool))
          throw new ConflictError('pool-overlap', `pool ${pool.toString()} in use`)
      }
      const poolId = `p${next++}-${pool.toString()}`
      const u = new Set<string>()
      pools.set(poolId, { pool, used: u })
      used.set(poolId, u)
      return { poolId, pool, meta: {} }
    },
    async releasePool(poolId) {
      pools.delete(poolId)
      used.delete(poolId)
    },
    async requestAddress(poolId, req) {
      const p = pools.get(poolId)!
      if (req?.preferred) {
        const preferred = IP.parse(req.preferred.toString())
        if (p.used.has(preferred.toString())) {
          throw new ConflictError('address-in-use', `${preferred.toString()} in use`)
        }
        p.used.add(preferred.toString())
        return InterfaceAddress.of(preferred, p.pool.prefix)
      }
      for (let i = 1n; i < p.pool.size - 1n; i++) {
        const ip = p.pool.at(i)
        if (!p.used.has(ip.toString())) {
          p.used.add(ip.toString())
          return InterfaceAddress.of(ip, p.pool.prefix)
        }
      }
      throw new ConflictError('pool-full', 'no addresses left')
    },
    async releaseAddress(poolId, ip) {
      pools.get(poolId)?.used.delete(ip.toString())
    },
  }
}

export interface FakeOS extends SandboxOS {
  ns: Map<string, Map<string, unknown>>
  gateways: Map<string, string | undefined>
  /** While true, removed interfaces stay "being deleted" until `release()`. */
  hold: boolean
  /** Deletions not yet released. */
  readonly held: number
  release(): void
  closed: number
}

export function fakeOS(): FakeOS {
  const ns = new Map<string, Map<string, unknown>>()
  const gateways = new Map<string, string | undefined>()
  const waiting: Array<() => void> = []
  return {
    ns,
    gateways,
    hold: false,
    get held() {
      return waiting.length
    },
    release() {
      for (const done of waiting.splice(0)) done()
    },
    closed: 0,
    async close() {
      this.closed++
    },
    async create(key) {
      if (ns.has(key)) throw new ConflictError('ns-exists', key)
      ns.set(key, new Map())
      return `/run/netns/${key}`
    },
    async destroy(key) {
      ns.delete(key)
      gateways.delete(key)
    },
    path: (key) => `/run/netns/${key}`,
    async list(prefix) {
      return [...ns.keys()].filter((k) => k.startsWith(prefix))
    },
    async addInterface(key, spec) {
      ns.get(key)!.set(spec.dstName, spec)
    },
    async removeInterface(key, name) {
      const held = ns.get(key)?.delete(name) && this.hold
      return { deleted: held ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve() }
    },
    async interfaces(key) {
      return [...(ns.get(key)?.keys() ?? [])]
    },
    async setGateway(key, gw) {
      gateways.set(key, gw?.dstName)
    },
  }
}

export interface FakeDriverState {
  networks: Set<string>
  endpoints: Set<string>
  joined: Set<string>
  calls: string[]
  failOn: Set<string>
  restored: number
}

export function fakeDriver(
  type = 'fake',
  st?: FakeDriverState,
  capability: Partial<Capability> = {},
): { factory: DriverFactory; state: FakeDriverState } {
  const state = st ?? fakeDriverState()
  const step = (name: string) => {
    state.calls.push(name)
    if (state.failOn.has(name)) throw new Error(`injected failure in ${name}`)
  }
  const driver: Driver = {
    type,
    capability: {
      dataScope: 'local',
      connectivityScope: 'local',
      needsIpam: true,
      sharesHostNetwork: false,
      ...capability,
    },
    parseNetworkOptions: (raw) => raw,
    async createNetwork(req) {
      step('createNetwork')
      state.networks.add(req.networkId)
    },
    async deleteNetwork(req) {
      step('deleteNetwork')
      state.networks.delete(req.networkId)
    },
    async createEndpoint(req) {
      step('createEndpoint')
      state.endpoints.add(req.endpointId)
      return { iface: { ...req.iface, mac: req.iface.mac ?? '02:42:ac:11:00:02' } }
    },
    async deleteEndpoint(req) {
      step('deleteEndpoint')
      state.endpoints.delete(req.endpointId)
    },
    async endpointOperInfo(req) {
      return { portBindings: [], exposedPorts: [], endpointId: req.endpointId }
    },
    async join(req): Promise<JoinResult> {
      step('join')
      state.joined.add(req.endpointId)
      return {
        interfaces: [{ srcName: `veth${req.endpointId.slice(0, 6)}`, dstPrefix: 'eth' }],
        gateway: IP.parse('172.18.0.1'),
        staticRoutes: [],
        disableGatewayService: false,
      }
    },
    async leave(req) {
      step('leave')
      state.joined.delete(req.endpointId)
    },
    async programExternalConnectivity(req) {
      step('programExternalConnectivity')
      return (req.options.portBindings ?? []).map((b) => ({
        protocol: b.protocol,
        port: b.port,
        hostIP: IP.parse('0.0.0.0'),
        hostPort: b.hostPort || 32768,
        containerIP: IP.parse('172.18.0.2'),
      }))
    },
    async revokeExternalConnectivity() {
      step('revokeExternalConnectivity')
    },
    async restore(s) {
      state.restored++
      state.networks = new Set(s.networks.map((n) => n.networkId))
      state.endpoints = new Set(s.endpoints.map((e) => e.endpointId))
      state.joined = new Set(s.endpoints.filter((e) => e.sandboxKey).map((e) => e.endpointId))
      return { removed: [], recreated: [] }
    },
    async stop() {},
  }
  return { factory: () => driver, state }
}

/** A fresh fake driver state; the steps named in `failOn` throw. */
export function fakeDriverState(failOn: string[] = []): FakeDriverState {
  return {
    networks: new Set(),
    endpoints: new Set(),
    joined: new Set(),
    calls: [],
    failOn: new Set(failOn),
    restored: 0,
  }
}

/**
 * A view of `store` whose `close` does nothing: controllers stopped and started again in a test
 * share one store (a controller closes its store at stop).
 */
export function shared(store: KVStore): KVStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'close') return async () => {}
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

/** The controller's JSON record at `key` (e.g. `network/<id>`), or undefined. */
export async function readRecord(
  store: KVStore,
  key: string,
): Promise<Record<string, unknown> | undefined> {
  const kv = await store.get(`libnetwork/controller/v1/${key}`)
  return kv && (JSON.parse(new TextDecoder().decode(kv.value)) as Record<string, unknown>)
}

/** A controller with the fake driver (`st`, or a fresh state) and a fake IPAM. */
export async function startFake(
  store: KVStore = memoryStore(),
  os: FakeOS = fakeOS(),
  st?: FakeDriverState,
) {
  const fake = fakeDriver('fake', st)
  const ipam = fakeIpam()
  const c = await Controller.start({
    drivers: { fake: fake.factory },
    ipams: { default: () => ipam },
    store: shared(store),
    os,
  })
  return { c, fake: fake.state, ipam, os, store }
}

/** Let pending callbacks run. */
export const tick = () => new Promise((r) => setImmediate(r))

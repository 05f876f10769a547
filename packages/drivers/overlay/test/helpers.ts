// Shared by the privileged tests: an underlay (a bridge in its own namespace) with N "hosts"
// (namespaces with a veth on it), containers as namespaces, and an in-memory cluster table that
// hands each host's puts to the other hosts' drivers. Every namespace is lnt-overlay-<hex>-*,
// deleted at the test's teardown even on failure; nothing touches the machine's namespace.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type {
  ClusterTables,
  CreateNetworkRequest,
  Driver,
  TableEvent,
  TableWatch,
} from '@libnetwork/driverapi'
import { memoryStore } from '@libnetwork/datastore'
import { IPNet, InterfaceAddress, noopLogger } from '@libnetwork/types'
import { overlay, parseOverlayOptions } from '../src/index.js'

const pexec = promisify(execFile)

export const sh = async (...argv: string[]): Promise<string> =>
  (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout

export const SUBNET = IPNet.parse('10.90.0.0/24')
export const id = (c: string): string => c.repeat(64)

/** The cluster's tables as one in-memory map; every put or delete reaches the other hosts. */
export class FakeCluster {
  readonly entries = new Map<string, { value: Uint8Array; owner: string }>()
  readonly members = new Map<string, Driver>()
  /** Joins minus leaves of each network's group, by `<node>\0<network>`. */
  readonly groups = new Map<string, number>()

  tables(nodeName: string, advertiseAddress: string): ClusterTables {
    const k = (table: string, nid: string, key: string) => `${table}\0${nid}\0${key}`
    const emit = (ev: Omit<TableEvent, 'local'>) => {
      for (const [name, d] of this.members)
        if (name !== nodeName) d.onTableEvent?.({ ...ev, local: false })
    }
    return {
      nodeName,
      advertiseAddress,
      joinNetwork: async (nid) => {
        const g = `${nodeName}\0${nid}`
        this.groups.set(g, (this.groups.get(g) ?? 0) + 1)
      },
      leaveNetwork: async (nid) => {
        const g = `${nodeName}\0${nid}`
        const n = (this.groups.get(g) ?? 0) - 1
        if (n < 0) throw new Error(`${nodeName} left ${nid} more often than it joined`)
        if (n === 0) this.groups.delete(g)
        else this.groups.set(g, n)
      },
      put: async (table, networkId, key, value) => {
        const old = this.entries.get(k(table, networkId, key))
        this.entries.set(k(table, networkId, key), { value, owner: nodeName })
        emit({ type: old ? 'update' : 'create', table, networkId, key, value, owner: nodeName })
      },
      delete: async (table, networkId, key) => {
        const old = this.entries.get(k(table, networkId, key))
        if (!old) return
        this.entries.delete(k(table, networkId, key))
        emit({ type: 'delete', table, networkId, key, value: old.value, owner: nodeName })
      },
      entries: (table, networkId) =>
        [...this.entries]
          .filter(([key]) => key.startsWith(`${table}\0${networkId}\0`))
          .map(([key, e]) => ({
            key: key.split('\0')[2]!,
            value: e.value,
            owner: e.owner,
            local: e.owner === nodeName,
          })),
      watch: (): TableWatch => {
        throw new Error('the fake cluster delivers through onTableEvent only')
      },
    }
  }
}

export interface Host {
  ns: string
  address: string
  driver: Driver
}

export interface World {
  tag: string
  hosts: Host[]
  cluster: FakeCluster
  /** A container namespace (deleted at teardown). */
  container(name: string): Promise<string>
}

export async function netns(t: Test, name: string): Promise<string> {
  t.teardown(() => sh('ip', 'netns', 'del', name).catch(() => undefined))
  await sh('ip', 'netns', 'add', name)
  await sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
  return name
}

/**
 * `n` hosts on an underlay 192.168.90.0/24 (host i at .(i+1)), each with an overlay driver;
 * they share a global store (etcd in a daemon) unless `shared: false` (the etcd-less mode).
 */
export async function world(t: Test, n: number, o: { shared?: boolean } = {}): Promise<World> {
  const tag = `lnt-overlay-${randomBytes(3).toString('hex')}`
  const ul = await netns(t, `${tag}-ul`)
  await sh('ip', '-n', ul, 'link', 'add', 'ul0', 'type', 'bridge')
  await sh('ip', '-n', ul, 'link', 'set', 'ul0', 'up')
  const cluster = new FakeCluster()
  // the cluster's store (etcd in a daemon): one VNI set for every host
  const globalStore = o.shared === false ? undefined : memoryStore()
  const hosts: Host[] = []
  for (let i = 0; i < n; i++) {
    const ns = await netns(t, `${tag}-h${i}`)
    const address = `192.168.90.${i + 1}`
    await sh(
      'ip',
      '-n',
      ul,
      'link',
      'add',
      `p${i}`,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      ns,
    )
    await sh('ip', '-n', ul, 'link', 'set', `p${i}`, 'master', 'ul0', 'up')
    await sh('ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
    const driver = overlay(
      {},
      { netns: ns, netnsPrefix: `${tag}-h${i}-ov` },
    )({
      logger: noopLogger,
      cluster: cluster.tables(`node${i}`, address),
      ...(globalStore ? { globalStore } : {}),
    })
    cluster.members.set(`node${i}`, driver)
    hosts.push({ ns, address, driver })
  }
  t.teardown(async () => {
    for (const h of hosts) await h.driver.stop()
    // the per-network namespaces a failed test may leave
    const left = (await sh('ip', 'netns', 'list')).split('\n').map((l) => l.split(' ')[0]!)
    for (const l of left)
      if (l.startsWith(`${tag}-`)) await sh('ip', 'netns', 'del', l).catch(() => undefined)
  })
  return { tag, hosts, cluster, container: (name) => netns(t, `${tag}-${name}`) }
}

export function network(n = 0, options: unknown = {}): CreateNetworkRequest {
  return {
    networkId: id(String.fromCharCode(0x61 + n)),
    name: `ov${n}`,
    options: parseOverlayOptions(options),
    ipv4: [
      {
        pool: IPNet.parse(`10.${90 + n}.0.0/24`),
        gateway: InterfaceAddress.parse(`10.${90 + n}.0.1/24`),
      },
    ],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  }
}

/** Create, join and configure an endpoint `addr` of `net` in the container namespace `ns`. */
export async function attach(
  d: Driver,
  net: CreateNetworkRequest,
  endpointId: string,
  addr: string,
  ns: string,
): Promise<string> {
  const { iface } = await d.createEndpoint({
    networkId: net.networkId,
    endpointId,
    iface: { address: InterfaceAddress.parse(addr) },
    options: {},
  })
  const r = await d.join({
    networkId: net.networkId,
    endpointId,
    sandboxKey: `/run/netns/${ns}`,
    options: {},
  })
  const name = r.interfaces[0]!.srcName
  await sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', name)
  await sh('ip', '-n', ns, 'link', 'set', name, 'up')
  return iface.mac!
}

/** Ping until one answer comes or `tries` pings went unanswered (bounded; no fixed sleep). */
export async function reaches(ns: string, ip: string, tries = 10): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      await sh('ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip)
      return true
    } catch {
      // no answer yet
    }
  }
  return false
}

export const netnsList = async (): Promise<string[]> =>
  (await sh('ip', 'netns', 'list'))
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)

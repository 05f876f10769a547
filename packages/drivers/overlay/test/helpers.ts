// Shared by the privileged tests: an underlay (a bridge in its own namespace) with N "hosts"
// (namespaces with a veth on it), containers as namespaces, and an in-memory cluster table that
// hands each host's puts to the other hosts' drivers. Every namespace is lnt-overlay-<hex>-*,
// deleted at the test's teardown even on failure; nothing touches the machine's namespace.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { CreateNetworkRequest, Driver } from '@libnetwork/driverapi'
import { memoryStore } from '@libnetwork/datastore'
import { IPNet, noopLogger } from '@libnetwork/types'
import { overlay } from '../src/index.js'
import { FakeCluster, createAndJoin, overlayNetworkRequest } from '../src/testing/index.js'

const pexec = promisify(execFile)

export const sh = async (...argv: string[]): Promise<string> =>
  (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout

export const SUBNET = IPNet.parse('10.90.0.0/24')
export const id = (c: string): string => c.repeat(64)

export { FakeCluster }

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
  return overlayNetworkRequest({
    networkId: id(String.fromCharCode(0x61 + n)),
    name: `ov${n}`,
    subnet: `10.${90 + n}.0.0/24`,
    options,
  })
}

/** Create, join and configure an endpoint `addr` of `net` in the container namespace `ns`. */
export async function attach(
  d: Driver,
  net: CreateNetworkRequest,
  endpointId: string,
  addr: string,
  ns: string,
): Promise<string> {
  const { ifname, mac } = await createAndJoin(d, net.networkId, endpointId, addr, ns)
  await sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', ifname)
  await sh('ip', '-n', ns, 'link', 'set', ifname, 'up')
  return mac
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

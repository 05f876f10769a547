import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { HostsFile } from '@libnetwork/etchosts'
import type { RecordUpdate } from '@libnetwork/resolver'
import {
  buildContainerResolvConf,
  readHostResolvConf,
  writeContainerResolvConf,
} from '@libnetwork/resolvconf'
import { Background } from './background.js'
import { DnsService, type DnsServing } from './dns.js'
import type { SandboxInfo } from './model.js'
import type { RemoteEntry } from './remote.js'
import type { DiscoveryHooks } from './state.js'

export interface ServiceDiscoveryOptions {
  /** Directory for per-sandbox files: `<dir>/<sandbox id>/hosts` and `resolv.conf`. */
  dir: string
  /** The host's resolv.conf (default /etc/resolv.conf; the systemd-resolved one is followed). */
  hostResolvConf?: string
  /** Serve names at 127.0.0.11 inside each sandbox that joins a network (default true). */
  embeddedDNS?: boolean
  /** The resolvers (default: a DnsService on this thread); unit tests pass a fake. */
  dns?: DnsServing
}

const EMBEDDED = '127.0.0.11'

/** The names of the sandbox's own line in /etc/hosts: `fqdn hostname`. */
function ownNames(sb: SandboxInfo): string[] {
  return [
    ...new Set([sb.domainname ? `${sb.hostname}.${sb.domainname}` : sb.hostname, sb.hostname]),
  ]
}

interface Member {
  names: string[]
  ips: string[]
  sandbox: string
}

/**
 * Service discovery for the controller: per-sandbox /etc/hosts and /etc/resolv.conf, and the
 * embedded DNS server answering the names and aliases of endpoints on the networks a sandbox
 * shares, forwarding the rest to the host's nameservers.
 */
export function serviceDiscovery(o: ServiceDiscoveryOptions): DiscoveryHooks {
  const embedded = o.embeddedDNS ?? true
  const dns = o.dns ?? new DnsService()
  const sandboxes = new Map<
    string,
    { sb: SandboxInfo; hosts: HostsFile; upstreams: string[]; serving: boolean; nets: Set<string> }
  >()
  /** network name → endpoint id → { names, ips } of joined endpoints. */
  const nets = new Map<string, Map<string, Member>>()
  /** network id → endpoint id → other hosts' endpoints, kept while no sandbox here is on it. */
  const remote = new Map<string, Map<string, RemoteEntry>>()
  /** network name → id, learnt from joins. */
  const netIds = new Map<string, string>()
  /** Folders of deleted sandboxes being removed in the background, by sandbox id. */
  const removing = new Background('sandbox-files-not-removed', "deleted sandboxes' files")

  const addsFor = (network: string, e: { names: string[]; ips: string[] }): RecordUpdate[] =>
    e.ips.length === 0 ? [] : e.names.map((name) => ({ op: 'add-host', network, name, ips: e.ips }))
  const removesFor = (network: string, e: { names: string[]; ips: string[] }): RecordUpdate[] =>
    e.names.map((name) => ({ op: 'remove-host', network, name, ips: e.ips }))

  const remoteAdds = (network: string, r: RemoteEntry): RecordUpdate[] =>
    r.ips.length === 0
      ? []
      : [
          { op: 'add-host', network, name: r.name, ips: r.ips },
          ...r.aliases.map((name): RecordUpdate => ({
            op: 'add-host',
            network,
            name,
            ips: r.ips,
            alias: true,
          })),
        ]
  const remoteRemoves = (network: string, r: RemoteEntry): RecordUpdate[] =>
    [r.name, ...r.aliases].map((name) => ({ op: 'remove-host', network, name, ips: r.ips }))
  const remoteFor = (network: string): RecordUpdate[] => {
    const id = netIds.get(network)
    const m = id === undefined ? undefined : remote.get(id)
    return [...(m?.values() ?? [])].flatMap((r) => remoteAdds(network, r))
  }

  const broadcast = async (network: string, updates: RecordUpdate[], except?: string) => {
    if (!embedded || updates.length === 0) return
    const ids = [...sandboxes.values()]
      .filter((s) => s.serving && s.nets.has(network) && s.sb.id !== except)
      .map((s) => s.sb.id)
    await dns.update(ids, updates)
  }

  return {
    async sandboxCreated(sb) {
      const dir = join(o.dir, sb.id)
      // A sandbox re-created under the id of one just deleted must not lose its new files.
      await removing.wait(sb.id)
      await mkdir(dir, { recursive: true })
      const hostsPath = join(dir, 'hosts')
      const resolvConfPath = join(dir, 'resolv.conf')
      const hosts = new HostsFile(hostsPath)
      await hosts.build({
        hostname: sb.hostname,
        domainname: sb.domainname || undefined,
        extraHosts: sb.extraHosts.map((h) => ({ ip: h.ip, names: [h.name] })),
      })
      const host = await readHostResolvConf(o.hostResolvConf ? { path: o.hostResolvConf } : {})
      const built = buildContainerResolvConf(host.conf, {
        dns: sb.dns.servers,
        dnsSearch: sb.dns.search,
        dnsOptions: sb.dns.options,
        embeddedDNS: embedded && !sb.useHostNetwork ? EMBEDDED : undefined,
      })
      await writeContainerResolvConf(resolvConfPath, built.conf, { force: true })
      sandboxes.set(sb.id, {
        sb,
        hosts,
        upstreams: built.upstreams.slice(0, 3).map(String),
        serving: false,
        nets: new Set(),
      })
      return { hostsPath, resolvConfPath }
    },

    async sandboxDeleted(sb) {
      const s = sandboxes.get(sb.id)
      sandboxes.delete(sb.id)
      if (s?.serving) await dns.close(sb.id)
      // Nothing reads the folder any more; removing it costs 0.5-0.7 ms of unlink and rmdir
      // on a disk-backed /run, so it runs on the thread pool after the caller has its answer.
      removing.run(sb.id, rm(join(o.dir, sb.id), { recursive: true, force: true }))
    },

    async prune(keep) {
      let names: string[]
      try {
        names = await readdir(o.dir)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw e
      }
      const gone = names.filter((n) => !keep.has(n) && !sandboxes.has(n))
      for (const n of gone) await rm(join(o.dir, n), { recursive: true, force: true })
      return gone
    },

    async joined(sb, ep, net) {
      const s = sandboxes.get(sb.id)
      if (!s) return
      const ips = [ep.address?.ip, ep.addressIPv6?.ip].filter((x) => x !== undefined).map(String)
      const entry = { names: [ep.name, ...ep.aliases], ips, sandbox: sb.id }
      let members = nets.get(net.name)
      if (!members) nets.set(net.name, (members = new Map<string, Member>()))
      members.set(ep.id, entry)
      netIds.set(net.name, net.id)
      s.nets.add(net.name)
      if (ep.address) await s.hosts.add([{ ip: ep.address.ip, names: ownNames(sb) }])
      await broadcast(net.name, addsFor(net.name, entry), sb.id)
      if (!embedded || sb.useHostNetwork || !sb.key) return
      const mine = [
        ...[...members.values()].flatMap((e) => addsFor(net.name, e)),
        ...remoteFor(net.name),
      ]
      if (!s.serving) {
        const all = [...s.nets].flatMap((n) => [
          ...[...(nets.get(n)?.values() ?? [])].flatMap((e) => addsFor(n, e)),
          ...remoteFor(n),
        ])
        await dns.serve(sb.id, sb.path, s.upstreams, all)
        s.serving = true
      } else {
        await dns.update([sb.id], mine)
      }
    },

    async left(sb, ep, net) {
      const s = sandboxes.get(sb.id)
      const members = nets.get(net.name)
      const entry = members?.get(ep.id)
      members?.delete(ep.id)
      if (members?.size === 0) nets.delete(net.name)
      if (!s) return
      s.nets.delete(net.name)
      if (ep.address) await s.hosts.delete([{ ip: ep.address.ip, names: ownNames(sb) }])
      if (entry) await broadcast(net.name, removesFor(net.name, entry), sb.id)
      if (s.serving) await dns.update([sb.id], [{ op: 'remove-network', network: net.name }])
    },

    async remoteRecords(networkId, added, removed) {
      let m = remote.get(networkId)
      const updates: RecordUpdate[] = []
      const names = [...netIds].filter(([, id]) => id === networkId).map(([name]) => name)
      for (const r of removed) {
        const old = m?.get(r.endpointId)
        if (old === undefined) continue
        m!.delete(r.endpointId)
        for (const n of names) updates.push(...remoteRemoves(n, old))
      }
      for (const r of added) {
        if (!m) remote.set(networkId, (m = new Map<string, RemoteEntry>()))
        const old = m.get(r.endpointId)
        if (old) for (const n of names) updates.push(...remoteRemoves(n, old))
        m.set(r.endpointId, r)
        for (const n of names) updates.push(...remoteAdds(n, r))
      }
      if (m?.size === 0) remote.delete(networkId)
      for (const n of names) {
        await broadcast(
          n,
          updates.filter((u) => u.network === n),
        )
      }
    },

    settled: () => removing.settled(),

    async stop() {
      await dns.stop()
      await removing.idle()
    },
  }
}

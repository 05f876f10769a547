import { join } from 'node:path'
import { Osl, type Sandbox } from '@libnetwork/osl'
import { LibnetworkError } from '@libnetwork/types'
import { Background } from './background.js'
import type { SandboxOS } from './contracts.js'

/** Where `ip netns` keeps named namespaces; the default run dir of sandboxes. */
const IP_NETNS_DIR = '/var/run/netns'

export interface OslSandboxOSOptions {
  /**
   * The namespace interfaces come from: a name under /var/run/netns or an nsfs path
   * (default: this process's).
   */
  hostNetns?: string
  /** Where sandbox namespaces are bind-mounted (default /var/run/netns, seen by `ip netns`). */
  runDir?: string
}

/**
 * The sandbox layer on `@libnetwork/osl`: one netlink socket per sandbox (opened inside its
 * namespace and kept) plus one on the host side, no spawns. Interfaces leave at once (down,
 * addresses gone, renamed) and the kernel deletes them off the main thread (osl's reaper);
 * a destroyed sandbox's namespace is unmounted off the main thread too.
 */
export function oslSandboxOS(o: OslSandboxOSOptions = {}): SandboxOS {
  const host = o.hostNetns
  const osl = new Osl({
    runDir: o.runDir ?? IP_NETNS_DIR,
    ...(host ? { hostNetns: host.startsWith('/') ? host : join(IP_NETNS_DIR, host) } : {}),
  })
  const open = new Map<string, Sandbox>()
  /** Sandboxes whose namespace is being unmounted and removed, by key. */
  const destroying = new Background('sandbox-not-removed', 'sandbox namespaces')
  /** The open sandbox of `key`, reopened after a restart; undefined if the namespace is gone. */
  const sandbox = (key: string): Sandbox | undefined => {
    let sb = open.get(key)
    if (!sb && !destroying.has(key) && osl.sandboxKeys().includes(key))
      open.set(key, (sb = osl.restoreSandbox(key)))
    return sb
  }
  const must = (key: string): Sandbox => sandbox(key) ?? osl.restoreSandbox(key)
  return {
    path: (key) => osl.path(key),
    async create(key) {
      await destroying.wait(key)
      const sb = osl.createSandbox(key)
      open.set(key, sb)
      return sb.path
    },
    async destroy(key) {
      const sb = open.get(key)
      open.delete(key)
      if (!sb) {
        // Not opened by this run (left by an earlier one, maybe half-deleted by a kill, which
        // leaves a file that is no namespace any more): remove it without opening it.
        if (!destroying.has(key) && osl.sandboxKeys().includes(key)) osl.removeSandbox(key)
        return
      }
      // The unmount runs on the pool; the key is taken again only once it is free.
      destroying.run(key, sb.destroyInBackground({ moveBack: false }))
    },
    async list(prefix) {
      const keys = osl.sandboxKeys().filter((k) => k.startsWith(prefix) && !destroying.has(k))
      // A kill between a background unmount and the file's removal leaves a file that is no
      // namespace: finish that delete here rather than hand out a key nothing can open.
      return keys.filter((k) => {
        if (!osl.isStale(k)) return true
        osl.removeSandbox(k)
        return false
      })
    },
    async addInterface(key, spec) {
      must(key).join({
        srcName: spec.srcName,
        ...(spec.inSandbox ? { inSandbox: true } : {}),
        dstName: spec.dstName,
        ...(spec.mac ? { mac: spec.mac } : {}),
        addresses: [spec.address, spec.addressIPv6].filter((a) => a !== undefined),
        routes: spec.routes,
      })
    },
    async removeInterface(key, name) {
      const sb = sandbox(key)
      try {
        if (sb) return { deleted: sb.retireInterface(name) }
      } catch (err) {
        if (!LibnetworkError.isInstance(err) || err.category !== 'not-found') throw err
      }
      return { deleted: Promise.resolve() }
    },
    async interfaces(key) {
      return must(key)
        .interfaces()
        .map((i) => i.name)
    },
    async setGateway(key, gw) {
      const sb = must(key)
      if (sb.gateway) sb.unsetGateway(4)
      if (sb.gatewayV6) sb.unsetGateway(6)
      if (gw?.gateway) sb.setGateway(gw.gateway, { interface: gw.dstName })
      if (gw?.gatewayIPv6) sb.setGateway(gw.gatewayIPv6, { interface: gw.dstName })
    },
    async settled() {
      await destroying.idle()
      await osl.settled()
      await destroying.settled()
    },
    async close() {
      await destroying.idle()
      await osl.settled()
      osl.close()
    },
  }
}

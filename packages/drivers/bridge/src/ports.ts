import { BadRequestError, IP } from '@libnetwork/types'
import type { BoundPort, PortBinding } from '@libnetwork/driverapi'
import type { Iptables } from '@libnetwork/iptables'
import type { PortAllocator } from '@libnetwork/portallocator'
import {
  PortMapper,
  UserlandProxy,
  type MapRequest,
  type PortMapping,
  type UserlandProxyOptions,
} from '@libnetwork/portmapper'
import { PORT_CHAINS } from './firewall.js'

/** Where one endpoint's ports go: its bridge and addresses, and the network's default host IP. */
export interface PublishTarget {
  bridge: string
  containerIP: IP
  containerIPv6?: IP
  /** Network default for bindings without a host address (`host_binding_ipv4`). */
  hostBindingIPv4?: IP
}

export interface PublisherOptions {
  allocator: PortAllocator
  iptables: Iptables
  /** ip6tables: IPv6 host addresses are published too (upstream's default with ip6tables). */
  iptables6?: Iptables
  /** Run a userland proxy (in `netns`) for host-local traffic; undefined: none. */
  proxy?: UserlandProxyOptions
  onError?: (err: Error) => void
}

const ANY4 = IP.parse('0.0.0.0')
const ANY6 = IP.parse('::')

/**
 * Published ports of every bridge network, through one `PortMapper` (its chains jumped to from
 * the driver's own) and, when enabled, one userland proxy process started on first use.
 */
export class Publisher {
  readonly mapper: PortMapper
  readonly #proxy: UserlandProxy | undefined
  readonly #v6: boolean
  readonly #onError: ((err: Error) => void) | undefined
  #proxyStarted = false

  constructor(o: PublisherOptions) {
    this.#proxy = o.proxy ? new UserlandProxy({ ...o.proxy, onError: o.onError }) : undefined
    this.#v6 = o.iptables6 !== undefined
    this.#onError = o.onError
    this.mapper = new PortMapper({
      allocator: o.allocator,
      iptables: o.iptables,
      ...(o.iptables6 ? { iptables6: o.iptables6 } : {}),
      ...(this.#proxy ? { proxy: this.#proxy } : {}),
      chains: PORT_CHAINS,
      anchors: false,
      ...(o.onError ? { onError: o.onError } : {}),
    })
  }

  get proxied(): boolean {
    return this.#proxy !== undefined
  }

  /** The userland proxy process, when one runs. */
  get proxyPid(): number | undefined {
    return this.#proxy?.pid
  }

  /** Create (flush) the mapper's chains. */
  start(): Promise<void> {
    return this.mapper.start()
  }

  /** Start the proxy on first use; if it died, start it again and serve what it served. */
  async #ensureProxy(): Promise<void> {
    if (!this.#proxy || this.#proxy.running) return
    await this.#proxy.start()
    if (this.#proxyStarted) {
      for (const m of this.mapper.mappings()) {
        if (!m.proxied) continue
        // kernel DNAT still carries the port if the proxy cannot have it back
        await this.#proxy
          .add({ ...m, protocol: m.protocol as 'tcp' | 'udp' })
          .catch((err: Error) => this.#onError?.(err))
      }
    }
    this.#proxyStarted = true
  }

  /**
   * Turn an endpoint's bindings into mapper bindings. A binding without a host address uses
   * the network's `host_binding_ipv4`, else 0.0.0.0 and, when the container has an IPv6
   * address and ip6tables is on, `::` on the same host port (as dockerd publishes both).
   */
  #expand(
    t: PublishTarget,
    bindings: readonly PortBinding[],
  ): { v4: MapRequest[]; v6: Array<MapRequest & { pairOf?: number }> } {
    const v4: MapRequest[] = []
    const v6: Array<MapRequest & { pairOf?: number }> = []
    for (const b of bindings) {
      const hostPort =
        b.hostPortEnd !== undefined
          ? { start: b.hostPort ?? 0, end: b.hostPortEnd }
          : (b.hostPort ?? 0)
      const common = { protocol: b.protocol, hostPort, containerPort: b.port, bridge: t.bridge }
      if (b.hostIP?.version === 6) {
        if (!t.containerIPv6 || !this.#v6) {
          throw new BadRequestError(
            'no-ipv6-for-binding',
            `cannot publish on ${b.hostIP.toString()}: the endpoint has no IPv6 address${this.#v6 ? '' : ' or ip6tables is off'}`,
            { details: { hostIP: b.hostIP.toString(), port: b.port } },
          )
        }
        v6.push({ ...common, hostIP: b.hostIP, containerIP: t.containerIPv6 })
        continue
      }
      const hostIP = b.hostIP ?? t.hostBindingIPv4 ?? ANY4
      v4.push({ ...common, hostIP, containerIP: t.containerIP })
      if (b.hostIP === undefined && hostIP.isUnspecified() && t.containerIPv6 && this.#v6) {
        v6.push({ ...common, hostIP: ANY6, containerIP: t.containerIPv6, pairOf: v4.length - 1 })
      }
    }
    return { v4, v6 }
  }

  /**
   * Publish an endpoint's bindings, all or nothing: IPv4 first, then IPv6 (paired `::`
   * bindings take the host port their IPv4 twin got). Returns mappings in binding order.
   */
  async map(t: PublishTarget, bindings: readonly PortBinding[]): Promise<PortMapping[]> {
    const { v4, v6 } = this.#expand(t, bindings)
    await this.#ensureProxy()
    const got4 = v4.length > 0 ? await this.mapper.map(v4) : []
    if (v6.length === 0) return got4
    try {
      const six = v6.map(({ pairOf, ...b }) =>
        pairOf === undefined ? b : { ...b, hostPort: got4[pairOf]!.hostPort },
      )
      return [...got4, ...(await this.mapper.map(six))]
    } catch (err) {
      if (got4.length > 0) await this.mapper.unmap(got4).catch(() => undefined)
      throw err
    }
  }

  /** Re-publish stored mappings on the same host ports (after a restart). */
  async restore(mappings: readonly PortMapping[]): Promise<PortMapping[]> {
    if (mappings.length === 0) return []
    await this.#ensureProxy()
    return this.mapper.restore(mappings)
  }

  /**
   * Restore the mappings of several owners: all in one batch, or, if that fails (a port taken
   * meanwhile), owner by owner, so one lost port does not cost the others theirs.
   */
  async restoreFor<T>(
    stored: readonly PortMapping[],
    owners: readonly T[],
  ): Promise<{ done: Map<T, PortMapping[]>; failed: Array<[T, Error]> }> {
    const done = new Map<T, PortMapping[]>()
    const failed: Array<[T, Error]> = []
    try {
      const again = await this.restore(stored)
      again.forEach((m, i) => done.set(owners[i]!, [...(done.get(owners[i]!) ?? []), m]))
    } catch {
      for (const owner of new Set(owners)) {
        const mine = stored.filter((_, i) => owners[i] === owner)
        try {
          done.set(owner, await this.restore(mine))
        } catch (err) {
          failed.push([owner, err as Error])
        }
      }
    }
    return { done, failed }
  }

  async unmap(mappings: readonly PortMapping[]): Promise<void> {
    if (mappings.length > 0) await this.mapper.unmap([...mappings])
  }

  /**
   * Take mappings out of service now; their rules, proxy listeners and host ports go in the
   * mapper's queue (before any later map). Resolves with the error if that failed twice (the
   * mappings are then kept by the mapper, and `onError` heard it).
   */
  unmapLater(mappings: readonly PortMapping[]): Promise<Error | undefined> {
    return mappings.length > 0 ? this.mapper.unmapLater([...mappings]) : Promise.resolve(undefined)
  }

  /** Every queued removal done; throws a failure of one since the last call. */
  settled(): Promise<void> {
    return this.mapper.settled()
  }

  /** Every queued removal done (failures were reported to `onError`). */
  idle(): Promise<void> {
    return this.mapper.idle()
  }

  /** Finish queued removals and stop the proxy; rules and chains stay for the next start. */
  async stop(): Promise<void> {
    await this.mapper.idle()
    await this.#proxy?.stop()
  }
}

/** A mapping as the driver API reports it. */
export function boundPort(m: PortMapping): BoundPort {
  return {
    protocol: m.protocol,
    port: m.containerPort,
    hostIP: m.hostIP,
    hostPort: m.hostPort,
    containerIP: m.containerIP,
  }
}

/** A stored bound port back as a mapping of `bridge`. */
export function mappingOf(p: BoundPort, bridge: string, proxied: boolean): PortMapping {
  return {
    protocol: p.protocol,
    hostIP: p.hostIP,
    hostPort: p.hostPort,
    containerIP: p.containerIP,
    containerPort: p.port,
    proxied: proxied && p.protocol !== 'sctp',
    bridge,
  }
}

import { NotFoundError } from '@libnetwork/types'
import type { Capability, DriverFactory, DriverResolver } from '@libnetwork/driverapi'
import type { IpamCapabilities, IpamFactory, IpamResolver } from '@libnetwork/ipam'
import { IPAM_DRIVER, NETWORK_DRIVER } from '@libnetwork/plugin-server'
import { PluginClient, type PluginClientOptions } from './client.js'
import { addressUrl, findPlugin, listPlugins, type DiscoveryOptions } from './discovery.js'
import { fetchCapability, remoteDriver } from './driver.js'
import { PluginErrorCode } from './errors.js'
import { fetchIpamCapabilities, remoteIpam } from './ipam.js'

export interface PluginRegistryOptions extends DiscoveryOptions, PluginClientOptions {}

/** What the registry knows about one plugin. */
export interface PluginInfo {
  name: string
  /** `unix:///…` or `tcp://…`. */
  address: string
  /** The file it was found by (socket or spec). */
  source: string
  /** The handshake's answer; absent until the plugin was used. */
  implements?: string[]
  /** The network driver's capability, once activated as one. */
  capability?: Capability
  /** The IPAM driver's capabilities, once activated as one. */
  ipamCapabilities?: IpamCapabilities
}

interface Active {
  client: PluginClient
  info: PluginInfo
}

/**
 * Finds plugins by name on first use, activates them once and keeps them: `driverResolver` and
 * `ipamResolver` plug into the controller. A name with no socket or spec file resolves to
 * `undefined` (the controller says not found); a plugin that cannot be reached is an
 * UnavailableError (nothing is kept, so the next use tries again); a plugin whose handshake
 * does not list the kind is a NotFoundError (`plugin-not-implements`).
 */
export class PluginRegistry {
  readonly #opts: PluginRegistryOptions
  readonly #active = new Map<string, Promise<Active | undefined>>()
  readonly #drivers = new Map<string, Promise<DriverFactory | undefined>>()
  readonly #ipams = new Map<string, Promise<IpamFactory | undefined>>()

  constructor(opts: PluginRegistryOptions = {}) {
    this.#opts = opts
  }

  /** Resolve network drivers by plugin name. */
  readonly driverResolver: DriverResolver = (name, opts) =>
    this.#once(this.#drivers, name, async () => {
      const a = await this.#activate(name, NETWORK_DRIVER, opts?.signal)
      if (!a) return undefined
      const capability = await fetchCapability(
        a.client,
        opts?.signal ? { signal: opts.signal } : {},
      )
      a.info.capability = capability
      return remoteDriver(a.client, capability)
    })

  /** Resolve IPAM drivers by plugin name. */
  readonly ipamResolver: IpamResolver = (name, opts) =>
    this.#once(this.#ipams, name, async () => {
      const a = await this.#activate(name, IPAM_DRIVER, opts?.signal)
      if (!a) return undefined
      const caps = await fetchIpamCapabilities(
        a.client,
        opts?.signal ? { signal: opts.signal } : {},
      )
      a.info.ipamCapabilities = caps
      return remoteIpam(a.client, caps)
    })

  /**
   * Every plugin the directories offer, with what is known of those already used (for
   * `dnet plugin ls`). Plugins are not contacted.
   */
  async list(): Promise<PluginInfo[]> {
    const out: PluginInfo[] = []
    for (const name of await listPlugins(this.#opts)) {
      const active = await this.#active.get(name)?.catch(() => undefined)
      if (active) {
        out.push(structuredClone(active.info))
        continue
      }
      const addr = await findPlugin(name, this.#opts).catch(() => undefined)
      if (addr) out.push({ name, address: addressUrl(addr), source: addr.source })
    }
    return out
  }

  /** Drop every kept connection and forget activations. */
  async stop(): Promise<void> {
    for (const p of this.#active.values()) (await p.catch(() => undefined))?.client.close()
    this.#active.clear()
    this.#drivers.clear()
    this.#ipams.clear()
  }

  /** One resolution per name at a time; failures and "not found" are not remembered. */
  #once<T>(
    cache: Map<string, Promise<T | undefined>>,
    name: string,
    make: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const known = cache.get(name)
    if (known) return known
    const p = make()
    cache.set(name, p)
    const forget = () => {
      if (cache.get(name) === p) cache.delete(name)
    }
    p.then((v) => v === undefined && forget(), forget)
    return p
  }

  async #activate(name: string, kind: string, signal?: AbortSignal): Promise<Active | undefined> {
    const a = await this.#once(this.#active, name, async () => {
      const addr = await findPlugin(name, this.#opts)
      if (!addr) return undefined
      const client = new PluginClient(addr, this.#opts)
      try {
        const impl = await client.activate(signal ? { signal } : {})
        return {
          client,
          info: { name, address: addressUrl(addr), source: addr.source, implements: impl },
        }
      } catch (err) {
        client.close()
        throw err
      }
    })
    if (a && !a.info.implements?.includes(kind)) {
      throw new NotFoundError(
        PluginErrorCode.notImplements,
        `plugin ${name} does not implement ${kind} (it implements ${a.info.implements?.join(', ') || 'nothing'})`,
        { details: { plugin: name, kind, implements: a.info.implements ?? [] } },
      )
    }
    return a
  }
}

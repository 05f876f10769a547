import type {
  ClusterTables,
  Driver,
  DriverComponents,
  DriverFactory,
  DriverResolver,
  TableWatch,
} from '@libnetwork/driverapi'
import type { IpamComponents, IpamDriver, IpamFactory, IpamResolver } from '@libnetwork/ipam'
import type { Logger } from '@libnetwork/types'
import { ObjectNotFoundError } from './errors.js'

type Resolver<F> = (
  name: string,
  opts?: { signal?: AbortSignal },
) => F | undefined | Promise<F | undefined>

/**
 * Named plugins (drivers or IPAMs) built on first use and cached: from the static factories
 * first, then from the resolver (which may look a plugin up at run time). An unknown name is an
 * `ObjectNotFoundError` (not-found). Concurrent first uses of one name build it once.
 */
abstract class Registry<F, T> {
  readonly #factories: Map<string, F>
  readonly #resolver: Resolver<F> | undefined
  readonly #kind: 'driver' | 'ipam driver'
  readonly #instances = new Map<string, T>()
  readonly #pending = new Map<string, Promise<T>>()

  constructor(
    kind: 'driver' | 'ipam driver',
    factories: Record<string, F>,
    resolver: Resolver<F> | undefined,
  ) {
    this.#kind = kind
    this.#factories = new Map(Object.entries(factories))
    this.#resolver = resolver
  }

  /** Make the instance from its factory. */
  protected abstract build(factory: F): T

  /** The instance if it was built already. */
  peek(name: string): T | undefined {
    return this.#instances.get(name)
  }

  /** The instance, built now if this is its first use. */
  get(name: string, opts?: { signal?: AbortSignal }): Promise<T> {
    const have = this.#instances.get(name)
    if (have) return Promise.resolve(have)
    let p = this.#pending.get(name)
    if (!p) {
      p = this.#resolve(name, opts).finally(() => this.#pending.delete(name))
      this.#pending.set(name, p)
    }
    return p
  }

  async #resolve(name: string, opts?: { signal?: AbortSignal }): Promise<T> {
    const factory =
      this.#factories.get(name) ?? (this.#resolver ? await this.#resolver(name, opts) : undefined)
    if (factory === undefined) throw new ObjectNotFoundError(this.#kind, name)
    const instance = this.build(factory)
    this.#instances.set(name, instance)
    return instance
  }

  /** Build every statically given plugin now (their restore reconciles the kernel). */
  async loadStatic(): Promise<void> {
    for (const name of this.#factories.keys()) await this.get(name)
  }

  /** Every instance built so far, by name. */
  entries(): Array<[string, T]> {
    return [...this.#instances]
  }
}

/** The controller's drivers: built with the daemon's components; table events dispatched. */
export class Drivers extends Registry<DriverFactory, Driver> {
  readonly #watches: TableWatch[] = []
  readonly #components: DriverComponents
  readonly #logger: Logger

  constructor(
    factories: Record<string, DriverFactory>,
    resolver: DriverResolver | undefined,
    components: DriverComponents,
  ) {
    super('driver', factories, resolver)
    this.#components = components
    this.#logger = components.logger
  }

  protected build(factory: DriverFactory): Driver {
    const driver = factory(this.#components)
    const cluster = this.#components.cluster
    if (cluster && driver.onTableEvent) {
      for (const table of driver.capability.tables ?? []) {
        this.#watches.push(watchTable(cluster, table, driver, this.#logger))
      }
    }
    return driver
  }

  /** Stop dispatching table events. */
  closeWatches(): void {
    for (const w of this.#watches.splice(0)) w.close()
  }
}

/** Dispatch the events of one cluster table to a driver until the watch is closed. */
function watchTable(
  cluster: ClusterTables,
  table: string,
  driver: Driver,
  log: Logger,
): TableWatch {
  const watch = cluster.watch(table)
  void (async () => {
    try {
      for await (const ev of watch) {
        try {
          driver.onTableEvent!(ev)
        } catch (err) {
          log.warn('driver failed on a table event', {
            driver: driver.type,
            table,
            err: String(err),
          })
        }
      }
    } catch (err) {
      log.warn('cluster table watch ended', { driver: driver.type, table, err: String(err) })
    }
  })()
  return watch
}

/** The controller's IPAMs, built with the daemon's components. */
export class Ipams extends Registry<IpamFactory, IpamDriver> {
  readonly #components: IpamComponents

  constructor(
    factories: Record<string, IpamFactory>,
    resolver: IpamResolver | undefined,
    components: IpamComponents,
  ) {
    super('ipam driver', factories, resolver)
    this.#components = components
  }

  protected build(factory: IpamFactory): IpamDriver {
    return factory(this.#components)
  }
}

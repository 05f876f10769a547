// Helpers of the global-network tests: two controllers ("hosts") on one global store, a store
// that goes down on demand, and a condition wait.
import { memoryStore, type KVStore, type Watch, type WatchEvent } from '@libnetwork/datastore'
import { DefaultIpam } from '@libnetwork/ipam'
import { UnavailableError } from '@libnetwork/types'
import { Controller } from '../src/index.js'
import { fakeDriver, fakeDriverState, fakeOS, type FakeDriverState } from './fakes.js'

/** A store that fails every call (UnavailableError) while down, and breaks its live watches. */
export interface FlakyStore {
  store: KVStore
  down(): void
  up(): void
}

export function flaky(inner: KVStore): FlakyStore {
  let isDown = false
  const breakers = new Set<(e: Error) => void>()
  const err = () => new UnavailableError('store-down', 'the global store is down (test)')
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (isDown ? Promise.reject(err()) : fn())
  const store: KVStore = {
    scope: inner.scope,
    backend: `flaky-${inner.backend}`,
    get: (k) => guard(() => inner.get(k)),
    put: (k, v) => guard(() => inner.put(k, v)),
    atomicPut: (k, v, o) => guard(() => inner.atomicPut(k, v, o)),
    atomicDelete: (k, o) => guard(() => inner.atomicDelete(k, o)),
    delete: (k) => guard(() => inner.delete(k)),
    list: (p) => guard(() => inner.list(p)),
    batch: (ops) => guard(() => inner.batch(ops)),
    close: async () => {},
    watch(key, opts): Watch {
      if (isDown) {
        const ready = Promise.reject(err())
        ready.catch(() => undefined)
        return {
          ready,
          close() {},
          [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
            return { next: () => Promise.reject(err()) }
          },
        }
      }
      const w = inner.watch(key, opts)
      let broke!: (e: Error) => void
      const broken = new Promise<never>((_, reject) => (broke = reject))
      broken.catch(() => undefined)
      breakers.add(broke)
      return {
        ready: w.ready,
        close() {
          breakers.delete(broke)
          w.close()
        },
        async *[Symbol.asyncIterator]() {
          const it = w[Symbol.asyncIterator]()
          try {
            for (;;) {
              const r = await Promise.race([it.next(), broken])
              if (r.done) return
              yield r.value
            }
          } finally {
            breakers.delete(broke)
            w.close()
          }
        },
      }
    },
  }
  return {
    store,
    down() {
      isDown = true
      for (const b of breakers) b(err())
    },
    up() {
      isDown = false
    },
  }
}

export interface Host {
  c: Controller
  driver: FakeDriverState
  /** Pools this host's IPAM was asked for. */
  poolRequests: string[]
}

/**
 * A host: a controller with its own local store, the global-scope fake driver `gd` and the
 * default IPAM whose pools and addresses live in the shared `global` store (as the daemon's
 * global address space does on etcd).
 */
export async function startHost(
  global: KVStore,
  t: { teardown(fn: () => unknown): void },
  local: KVStore = memoryStore(),
  driver: FakeDriverState = fakeDriverState(),
): Promise<Host> {
  const gd = fakeDriver('gd', driver, { dataScope: 'global', connectivityScope: 'global' })
  const poolRequests: string[] = []
  const c = await Controller.start({
    drivers: { gd: gd.factory },
    ipams: {
      default: () => {
        const ipam = new DefaultIpam({ store: global })
        const requestPool = ipam.requestPool.bind(ipam)
        ipam.requestPool = (req) => {
          poolRequests.push(String(req?.pool ?? 'any'))
          return requestPool(req)
        }
        return ipam
      },
    },
    store: local,
    globalStore: global,
    os: fakeOS(),
  })
  let stopped = false
  const stop = c.stop.bind(c)
  c.stop = async () => {
    if (stopped) return
    stopped = true
    await stop()
  }
  t.teardown(() => c.stop())
  return { c, driver, poolRequests }
}

/** Wait until `cond()` holds (checked every few ms); fails after `ms` with `what`. */
export async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function caught(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

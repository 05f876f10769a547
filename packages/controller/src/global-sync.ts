/**
 * Global-scope networks on every host: the controller watches the network records in the
 * global store and mirrors them. A network another host created is added here (its driver
 * told, no pool reserved: the pools are the cluster's, reserved once by the creating host); one
 * another host removed is removed here (its driver told, nothing released: the removing host
 * did that). At start and after every watch failure (the store unreachable) the records are
 * listed again and the local view reconciled with them.
 */
import { UnavailableError } from '@libnetwork/types'
import { networkFromRecord } from './model.js'
import { createRequest, DELETING, restoreNetworkPools } from './networks.js'
import { isShared, storedPools } from './shared.js'
import { keys, snapshot, type State } from './state.js'

const PREFIX = 'network/'

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))
/** Longest pause between two attempts to watch again, ms. */
const MAX_PAUSE = 5000

type Run = <T>(fn: () => Promise<T>) => Promise<T>

export class GlobalSync {
  readonly #s: State
  /** Runs a step under the controller's locks (the steps touch drivers and the maps). */
  readonly #run: Run
  readonly #abort = new AbortController()
  #loop: Promise<void> | undefined
  #wake: (() => void) | undefined
  #resyncs = 0

  constructor(s: State, run: Run) {
    this.#s = s
    this.#run = run
  }

  /** Completed resyncs (the first one after start, one after each watch failure). */
  get resyncs(): number {
    return this.#resyncs
  }

  start(): void {
    this.#loop ??= this.#watchLoop()
  }

  /** End the watch; resolves when no step is running any more. */
  async stop(): Promise<void> {
    this.#abort.abort()
    this.#wake?.()
    await this.#loop
  }

  async #watchLoop(): Promise<void> {
    const signal = this.#abort.signal
    let failures = 0
    while (!signal.aborted) {
      try {
        const w = this.#s.records.watch(PREFIX, 'global', signal)
        // Registered first, then listed: no change falls between the list and the watch.
        await w.ready
        await this.#run(() => this.resync())
        failures = 0
        for await (const ev of w) {
          const id = this.#s.records.keyOf(ev.key).slice(PREFIX.length)
          await this.#run(() => this.reconcile(id))
        }
        if (signal.aborted) return
        throw new UnavailableError('global-watch-ended', 'the global store ended the watch')
      } catch (err) {
        if (signal.aborted) return
        failures++
        const pause = Math.min(MAX_PAUSE, 50 * 2 ** Math.min(failures, 7))
        this.#s.logger.warn('global networks: watch of the global store failed; resync follows', {
          error: errorMessage(err),
          retryInMs: pause,
        })
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause)
          this.#wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.#wake = undefined
      }
    }
  }

  /** List every global network record and make the local view match (caller holds the locks). */
  async resync(): Promise<void> {
    const records = await this.#s.records.list(PREFIX, 'global')
    const seen = new Set<string>()
    for (const { key, value } of records) {
      const id = key.slice(PREFIX.length)
      seen.add(id)
      await this.#apply(id, value as Record<string, unknown>)
    }
    for (const n of [...this.#s.networks.values()]) {
      if (isShared(this.#s, n.info) && !seen.has(n.info.id)) await this.#apply(n.info.id, undefined)
    }
    this.#resyncs++
  }

  /** Read one network's record now and make the local view match (caller holds the locks). */
  async reconcile(id: string): Promise<void> {
    const rec = await this.#s.records.get(keys.network(id), 'global')
    await this.#apply(id, rec as Record<string, unknown> | undefined)
  }

  async #apply(id: string, rec: Record<string, unknown> | undefined): Promise<void> {
    const s = this.#s
    const local = s.networks.get(id)
    const alive = rec !== undefined && rec[DELETING] !== true
    if (alive && !local) await this.#add(id, rec)
    else if (!alive && local && isShared(s, local.info)) await this.#remove(id)
  }

  /** A network another host created (or one this host missed while the store was away). */
  async #add(id: string, rec: Record<string, unknown>): Promise<void> {
    const s = this.#s
    const info = networkFromRecord(rec)
    if (info.scope !== 'global' || info.id !== id) return
    const clash = [...s.networks.values()].find((n) => n.info.name === info.name)
    if (clash) {
      s.logger.warn('global networks: a network of that name exists here; not added', {
        network: info.name,
        id,
        existing: clash.info.id,
      })
      return
    }
    const pools = storedPools(rec)
    if (!pools) {
      s.logger.warn('global networks: record without pool ids (an older writer); not added', {
        network: info.name,
        id,
      })
      return
    }
    // A deletion of the same id still pending here ends first.
    await s.teardowns.finishNetworks(
      s.teardowns.networks.filter((p) => p.id === id).map((p) => p.id),
    )
    try {
      const rt = await restoreNetworkPools(s, info, pools)
      await rt.driver.createNetwork(createRequest(rt))
      s.networks.set(id, rt)
    } catch (err) {
      if (UnavailableError.isInstance(err)) throw err
      s.logger.warn('global networks: a network of another host could not be added here', {
        network: info.name,
        id,
        error: errorMessage(err),
      })
      return
    }
    s.logger.info('global networks: added from the global store', { network: info.name, id })
    s.emitter.emit('network:create', snapshot(info))
  }

  /** A network another host removed. */
  async #remove(id: string): Promise<void> {
    const s = this.#s
    const n = s.networks.get(id)!
    const eps = [...s.endpoints.values()].filter((e) => e.networkId === id)
    if (eps.length > 0) {
      // The removing host checked the endpoint count; a count that missed these is reported.
      s.logger.warn('global networks: removed elsewhere but has endpoints here; kept', {
        network: n.info.name,
        id,
        endpoints: eps.map((e) => e.name),
      })
      return
    }
    s.networks.delete(id)
    try {
      await n.driver.deleteNetwork({ networkId: id })
    } catch (err) {
      s.logger.warn('global networks: the driver failed to remove a network removed elsewhere', {
        network: n.info.name,
        id,
        error: errorMessage(err),
      })
    }
    s.logger.info('global networks: removed, as on another host', { network: n.info.name, id })
    s.emitter.emit('network:delete', snapshot(n.info))
  }
}

import { type IPNet, UnavailableError } from '@libnetwork/types'

/** What a network create needs to know of a deletion still pending, to tell if it collides. */
export interface PendingNetwork {
  id: string
  driver: string
  subnets: IPNet[]
}

interface Pending {
  networkId: string
  /** Settles when the kernel has deleted the endpoint's interface. */
  deleted: Promise<void>
  /** Driver steps to run after that (leave, then maybe deleteEndpoint). */
  steps: Array<() => Promise<void>>
  running?: Promise<void>
}

/**
 * Background work of the controller, serialised with its operations under the lock.
 *
 * The tail of left endpoints: leave takes the interface out of service at once and the kernel
 * deletes it in the background; the driver's own leave (and deleteEndpoint, if the endpoint
 * was deleted meanwhile) must follow that deletion. Each pending tail runs when the deletion
 * has settled, serialised with the controller's operations, or earlier when an operation needs
 * it done (a re-join of the endpoint, deleting its network, stop).
 *
 * The rest of deleted networks: deleteNetwork answers once the network is out of the maps and
 * its record is marked; the endpoints' tails, the driver's deleteNetwork, the pools' release
 * and the record's removal follow here (earlier for a network create they collide with, and
 * at stop).
 */
export class Teardowns {
  readonly #pending = new Map<string, Pending>()
  /** Background parts of network deletions, by network id. */
  readonly #networks = new Map<
    string,
    { job: () => Promise<void>; about: PendingNetwork; running?: Promise<void> }
  >()
  readonly #background = new Set<Promise<void>>()
  readonly #failures: unknown[] = []

  /** @param serialize runs a step under the controller's lock */
  constructor(private readonly serialize: (fn: () => Promise<void>) => Promise<void>) {}

  has(endpointId: string): boolean {
    return this.#pending.has(endpointId)
  }

  /** After `deleted` settles, run `step` (under the lock) unless an operation ran it first. */
  add(endpointId: string, networkId: string, deleted: Promise<void>, step: () => Promise<void>) {
    this.#pending.set(endpointId, { networkId, deleted, steps: [step] })
    this.#track(
      deleted.catch(() => undefined).then(() => this.serialize(() => this.finish(endpointId))),
    )
  }

  #track(work: Promise<void>): void {
    const bg = work.catch((err: unknown) => {
      this.#failures.push(err)
    })
    this.#background.add(bg)
    void bg.then(() => this.#background.delete(bg))
  }

  /**
   * Queue the background part of a network deletion (its endpoints' tails, the driver, the
   * pools, the record). It runs under the lock after the work queued before it, or earlier
   * when an operation needs it done (`finishNetworks`).
   */
  addNetwork(networkId: string, job: () => Promise<void>, about: Omit<PendingNetwork, 'id'>): void {
    this.#networks.set(networkId, { job, about: { id: networkId, ...about } })
    // The kernel's deletions of its endpoints' interfaces are awaited before taking the lock,
    // so other operations do not wait behind them.
    const kernel = [...this.#pending.values()]
      .filter((p) => p.networkId === networkId)
      .map((p) => p.deleted.catch(() => undefined))
    this.#track(
      Promise.all(kernel).then(() => this.serialize(() => this.#finishNetwork(networkId))),
    )
  }

  /** The networks whose deletion is still pending. */
  get networks(): PendingNetwork[] {
    return [...this.#networks.values()].map((n) => n.about)
  }

  #finishNetwork(networkId: string): Promise<void> {
    const p = this.#networks.get(networkId)
    if (!p) return Promise.resolve()
    p.running ??= (async () => {
      try {
        await p.job()
      } finally {
        this.#networks.delete(networkId)
      }
    })()
    return p.running
  }

  /**
   * Run pending network deletions now (`ids`, default all; caller holds the lock). A failure
   * does not throw: it is kept for `settled()` (the network's record stays marked, so a
   * restart redoes it).
   */
  async finishNetworks(ids: Iterable<string> = [...this.#networks.keys()]): Promise<void> {
    for (const id of [...ids]) {
      await this.#finishNetwork(id).catch((err: unknown) => {
        this.#failures.push(err)
      })
    }
  }

  /** Append a step to a pending tail (the caller holds the lock, so none is running). */
  then(endpointId: string, step: () => Promise<void>): void {
    this.#pending.get(endpointId)!.steps.push(step)
  }

  /** Run an endpoint's pending tail now (caller holds the lock); no-op if none. */
  finish(endpointId: string): Promise<void> {
    const p = this.#pending.get(endpointId)
    if (!p) return Promise.resolve()
    p.running ??= (async () => {
      try {
        try {
          await p.deleted
        } catch (err) {
          // The driver's leave removes what the kernel could not; keep the reason.
          this.#failures.push(err)
        }
        for (const step of p.steps) await step()
      } finally {
        this.#pending.delete(endpointId)
      }
    })()
    return p.running
  }

  /** Run every pending tail of `networkId` (or all) now; caller holds the lock. */
  async finishAll(networkId?: string): Promise<void> {
    for (const [id, p] of [...this.#pending]) {
      if (networkId === undefined || p.networkId === networkId) await this.finish(id)
    }
  }

  /**
   * Wait until every pending tail and network deletion has run. Throws an UnavailableError
   * listing the failures of background steps since the last call (their state was left as the
   * failing step left it).
   */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.all(this.#background)
    if (this.#failures.length === 0) return
    const failures = this.#failures.splice(0)
    throw new UnavailableError(
      'teardown-failed',
      `${failures.length} background teardown step(s) failed: ${failures.map(String).join('; ')}`,
      { details: { failures: failures.map(String) }, cause: failures[0] },
    )
  }
}

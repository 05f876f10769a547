/** VXLAN ids, one per network, never two networks with one: an idm range, in the store if any. */
import type { KVStore } from '@libnetwork/datastore'
import { Idm } from '@libnetwork/idm'
import { ConflictError, LibnetworkError, RetryError } from '@libnetwork/types'
import { VNI_END, VNI_START } from './options.js'

/** The global store key holding the cluster's VNI bitmap. */
export const VNI_KEY = 'overlay/vxlan-ids'

const stale = (err: unknown) =>
  LibnetworkError.isInstance(err) && err.category === 'retry' && err.code === 'stale-version'

/**
 * The set of VXLAN ids in use: in the global store (compare-and-swap, so hosts of one cluster
 * never hand out one id twice), or in memory when there is no store.
 */
export class VniPool {
  readonly #store: KVStore | undefined
  #mem: Idm | undefined

  constructor(store?: KVStore) {
    this.#store = store
  }

  /** Change the set once, all or nothing; retried when another host wrote in between. */
  async #update<T>(fn: (idm: Idm) => T): Promise<T> {
    if (!this.#store) {
      const idm = (this.#mem ??= new Idm({ start: 1, end: VNI_END }))
      const copy = idm.clone()
      const out = fn(copy)
      this.#mem = copy
      return out
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const kv = await this.#store.get(VNI_KEY)
      const idm = kv ? Idm.fromBytes(kv.value) : new Idm({ start: 1, end: VNI_END })
      const out = fn(idm)
      try {
        await this.#store.atomicPut(VNI_KEY, idm.toBytes(), kv ? { previous: kv.version } : {})
        return out
      } catch (err) {
        if (!stale(err)) throw err
      }
    }
    throw new RetryError('overlay-vni-contended', 'the VXLAN id set kept changing; try again', {
      details: { key: VNI_KEY },
    })
  }

  /**
   * Reserve exactly `ids` (ConflictError `overlay-vni-in-use` when one is taken, nothing
   * reserved), or one free id.
   */
  reserve(ids?: readonly number[]): Promise<number[]> {
    return this.#update((idm) => {
      if (!ids) return [idm.getIdInRange(VNI_START, VNI_END, true)]
      for (const id of ids) {
        if (idm.isAllocated(id))
          throw new ConflictError(
            'overlay-vni-in-use',
            `VXLAN id ${id} is already used by another network${this.#store ? ' of the cluster' : ''}`,
            { details: { vni: id } },
          )
        idm.getSpecificId(id)
      }
      return [...ids]
    })
  }

  /** Give `ids` back; ids not reserved are ignored (a free after a half-done create). */
  release(ids: readonly number[]): Promise<void> {
    return this.#update((idm) => {
      for (const id of ids) if (idm.isAllocated(id)) idm.release(id)
    })
  }
}

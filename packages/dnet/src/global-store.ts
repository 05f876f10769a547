import { UnavailableError, type Logger } from '@libnetwork/types'
import type { KVStore } from '@libnetwork/datastore'

/** A key nobody writes: reading it is the cheapest question the store must answer. */
const PROBE_KEY = 'dnet/probe'

/**
 * Wait until the global store answers. While it does not (etcd down or not up yet), say so in
 * the log at every try and try again, backing off to `maxDelayMs`: the daemon starts once it
 * answers, instead of exiting. Errors other than "unavailable" are not waited out.
 */
export async function waitForGlobalStore(
  store: KVStore,
  endpoints: readonly string[],
  logger: Logger,
  o: { firstDelayMs?: number; maxDelayMs?: number } = {},
): Promise<void> {
  let delay = o.firstDelayMs ?? 250
  for (let attempt = 1; ; attempt++) {
    try {
      await store.get(PROBE_KEY)
      if (attempt > 1) logger.info('the global store answers: starting', { endpoints, attempt })
      return
    } catch (e) {
      if (!UnavailableError.isInstance(e)) throw e
      logger.warn('the global store (etcd) does not answer: the daemon starts once it does', {
        endpoints,
        attempt,
        err: e.message,
        retryInMs: delay,
      })
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, o.maxDelayMs ?? 5000)
    }
  }
}

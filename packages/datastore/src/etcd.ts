import type * as Etcd3Module from 'etcd3'
import type { Etcd3, ICompare, IKeyValue, IRequestOp, Lease, Watcher } from 'etcd3'
import {
  BadRequestError,
  LibnetworkError,
  UnavailableError,
  toLibnetworkError,
} from '@libnetwork/types'
import type {
  AtomicDeleteOptions,
  AtomicPutOptions,
  BatchOp,
  KVPair,
  KVStore,
  Scope,
  Watch,
  WatchOptions,
} from './contract.js'
import {
  DEFAULT_LIMITS,
  checkBatch,
  checkKey,
  checkPrefix,
  checkValue,
  checkVersion,
  closedError,
  failedCondition,
  staleVersion,
  type Limits,
} from './validate.js'
import { WatchStream } from './watch-stream.js'
import { EtcdLease } from './etcd-lease.js'
import { loadOptional } from './optional.js'

export interface EtcdStoreOptions extends Partial<Limits> {
  /** Client URLs, e.g. `['http://127.0.0.1:23790']`. */
  endpoints: string[]
  /** Namespace prepended to every key in etcd (e.g. `'libnetwork/'`); hidden from callers. */
  namespace?: string
  /** Default `'global'`. */
  scope?: Scope
  /** Bound on every request, retries included; past it the call throws UnavailableError. Default 5000 ms. */
  requestTimeoutMs?: number
}

/**
 * The global backend on etcd v3. Versions are etcd revisions (a key's mod_revision); CAS is a
 * transaction comparing mod_revision (or create_revision = 0 for "must not exist").
 */
export class EtcdStore implements KVStore {
  readonly scope: Scope
  readonly backend = 'etcd'
  readonly endpoints: readonly string[]
  #client: Etcd3
  #ns: string
  #limits: Limits
  #timeoutMs: number
  #watches = new Set<WatchStream>()
  #leases = new Set<Lease>()
  #closed = false

  constructor(opts: EtcdStoreOptions) {
    this.scope = opts.scope ?? 'global'
    this.endpoints = [...opts.endpoints]
    this.#ns = opts.namespace ?? ''
    this.#limits = {
      maxKeyBytes: opts.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes,
      maxValueBytes: opts.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
    }
    if (this.#ns !== '') checkPrefix(this.#ns, this.#limits)
    const timeout = (this.#timeoutMs = opts.requestTimeoutMs ?? 5000)
    if (!Array.isArray(opts.endpoints) || opts.endpoints.length === 0) {
      throw new BadRequestError('invalid-endpoints', 'etcd store needs at least one endpoint URL')
    }
    // etcd3 (with gRPC and protobufjs) is an optional peer dependency, loaded on first use: a
    // process that only needs the local store never pays its ~18 MiB and ~200 ms.
    const { Etcd3: Client } = loadOptional<typeof Etcd3Module>(
      'etcd3',
      'the etcd store (etcdStore)',
    )
    this.#client = new Client({
      hosts: this.endpoints.slice(),
      dialTimeout: timeout,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    })
  }

  async get(key: string): Promise<KVPair | undefined> {
    this.#open()
    checkKey(key, this.#limits)
    const res = await this.#call('get', () => this.#client.kv.range({ key: this.#k(key) }))
    const kv = res.kvs[0]
    return kv ? this.#pair(kv) : undefined
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    const res = await this.#call('put', () =>
      this.#client.kv.put({ key: this.#k(key), value: toBuffer(value) }),
    )
    return Number(res.header.revision)
  }

  async atomicPut(key: string, value: Uint8Array, opts: AtomicPutOptions): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    checkVersion(key, opts?.previous, true)
    const previous = opts?.previous
    const k = this.#k(key)
    const compare =
      previous === undefined
        ? { key: k, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 }
        : { key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: previous }
    const res = await this.#call('atomicPut', () =>
      this.#client.kv.txn({
        compare: [compare],
        success: [{ request_put: { key: k, value: toBuffer(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    )
    if (!res.succeeded) throw staleVersion(key, previous, currentVersion(res.responses[0]))
    return Number(res.header.revision)
  }

  async atomicDelete(key: string, opts: AtomicDeleteOptions): Promise<void> {
    this.#open()
    checkKey(key, this.#limits)
    checkVersion(key, opts?.previous, false)
    const k = this.#k(key)
    const res = await this.#call('atomicDelete', () =>
      this.#client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: opts.previous }],
        success: [{ request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      }),
    )
    if (!res.succeeded) throw staleVersion(key, opts.previous, currentVersion(res.responses[0]))
  }

  async delete(key: string): Promise<boolean> {
    this.#open()
    checkKey(key, this.#limits)
    const res = await this.#call('delete', () => this.#client.kv.deleteRange({ key: this.#k(key) }))
    return Number(res.deleted) > 0
  }

  async list(prefix: string): Promise<KVPair[]> {
    this.#open()
    checkPrefix(prefix, this.#limits)
    const start = this.#ns + prefix
    const range =
      start === ''
        ? { key: Buffer.from([0]), range_end: Buffer.from([0]) }
        : { key: Buffer.from(start), range_end: prefixEnd(start) }
    const res = await this.#call('list', () => this.#client.kv.range(range))
    return res.kvs.map((kv) => this.#pair(kv))
  }

  async batch(ops: readonly BatchOp[]): Promise<number> {
    this.#open()
    checkBatch(ops, this.#limits)
    const success: IRequestOp[] = ops.map((op) =>
      op.type === 'put'
        ? { request_put: { key: this.#k(op.key), value: toBuffer(op.value) } }
        : { request_delete_range: { key: this.#k(op.key) } },
    )
    // Conditions become the transaction's compares: a version is the key's mod_revision, and
    // 'absent' is a create_revision of 0. On failure the transaction reads the conditioned
    // keys, so the error names the first one that moved and its version now.
    const conditioned = ops.filter((op) => op.previous !== undefined)
    const compare: ICompare[] = conditioned.map((op) => {
      const key = this.#k(op.key)
      return op.previous === 'absent'
        ? { key, target: 'Create', result: 'Equal', create_revision: 0 }
        : { key, target: 'Mod', result: 'Equal', mod_revision: op.previous }
    })
    const failure: IRequestOp[] = conditioned.map((op) => ({
      request_range: { key: this.#k(op.key) },
    }))
    const res = await this.#call('batch', () =>
      this.#client.kv.txn(compare.length > 0 ? { compare, success, failure } : { success }),
    )
    if (compare.length > 0 && !res.succeeded) {
      const actual = new Map(
        conditioned.map((op, i) => [op.key, currentVersion(res.responses[i])] as const),
      )
      throw (
        failedCondition(conditioned, (key) => actual.get(key)) ??
        staleVersion(conditioned[0]!.key, undefined, undefined)
      )
    }
    return Number(res.header.revision)
  }

  watch(key: string, opts: WatchOptions = {}): Watch {
    let watcher: Watcher | undefined
    const cancel = (): void => {
      this.#watches.delete(stream)
      if (watcher) void watcher.cancel().catch(() => undefined)
    }
    let ready: Promise<void>
    try {
      this.#open()
      if (opts.prefix === true) checkPrefix(key, this.#limits)
      else checkKey(key, this.#limits)
      const builder = this.#client.watch()
      const full = this.#ns + key
      if (opts.prefix === true && full === '')
        builder.inRange({ start: Buffer.from([0]), end: Buffer.from([0]) })
      else if (opts.prefix === true) builder.prefix(full)
      else builder.key(full)
      const attach = (): Promise<void> => {
        if (stream.closed) return Promise.resolve()
        const w = (watcher = builder.watcher())
        w.on('put', (kv) => {
          const pair = this.#pair(kv)
          const type = kv.create_revision === kv.mod_revision ? 'create' : 'update'
          stream.push({ type, ...pair })
        })
        w.on('delete', (kv) => {
          stream.push({
            type: 'delete',
            key: this.#strip(kv.key),
            version: Number(kv.mod_revision),
          })
        })
        w.on('error', (err) => stream.fail(unavailable('watch', err)))
        return this.#call(
          'watch',
          () => new Promise<void>((resolve) => w.once('connected', () => resolve())),
        )
      }
      // A cheap bounded call first: an unreachable etcd fails here, before any watch stream
      // exists (etcd3 keeps retrying a stream in the background for a long time).
      ready = this.#call('watch', () =>
        this.#client.kv.range({ key: Buffer.from(full || '\0'), limit: 1 }),
      ).then(attach)
    } catch (err) {
      ready = Promise.reject(toLibnetworkError(err))
    }
    const stream = new WatchStream(ready, cancel, opts.signal)
    if (!stream.closed) this.#watches.add(stream)
    return stream
  }

  /**
   * Grant a lease of `ttlSeconds` for liveness keys; it is kept alive in the background until
   * revoked or the store closes. Keys written through it vanish when it expires.
   */
  async lease(ttlSeconds: number, opts: { keepAlive?: boolean } = {}): Promise<EtcdLease> {
    this.#open()
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new BadRequestError(
        'invalid-ttl',
        `lease TTL must be a positive whole number of seconds`,
        {
          details: { ttlSeconds },
        },
      )
    }
    const lease = this.#client.lease(ttlSeconds, { autoKeepAlive: opts.keepAlive ?? true })
    try {
      await this.#call('lease', () => lease.grant())
    } catch (err) {
      lease.release()
      throw err
    }
    this.#leases.add(lease)
    return new EtcdLease(lease, {
      ended: () => this.#leases.delete(lease),
      prepare: (key, value) => {
        this.#open()
        checkKey(key, this.#limits)
        checkValue(key, value, this.#limits)
        return { key: this.#ns + key, value: toBuffer(value) }
      },
      call: (op, fn) => this.#call(op, fn),
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const w of this.#watches) w.close()
    this.#watches.clear()
    // Leases end with the store: their liveness keys go now rather than at TTL expiry.
    await Promise.allSettled(
      [...this.#leases].map(async (lease) => {
        try {
          await this.#call('lease revoke', () => lease.revoke())
        } finally {
          lease.release()
        }
      }),
    )
    this.#leases.clear()
    this.#client.close()
  }

  #k(key: string): Buffer {
    return Buffer.from(this.#ns + key)
  }

  #strip(key: Buffer): string {
    return key.toString().slice(this.#ns.length)
  }

  #pair(kv: IKeyValue): KVPair {
    return { key: this.#strip(kv.key), value: kv.value, version: Number(kv.mod_revision) }
  }

  /** Run one etcd call with an overall time bound; map client failures to UnavailableError. */
  async #call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UnavailableError(
              'etcd-unavailable',
              `etcd did not answer ${op} within ${this.#timeoutMs} ms`,
              {
                details: { op, endpoints: this.endpoints, timeoutMs: this.#timeoutMs },
              },
            ),
          ),
        this.#timeoutMs,
      )
    })
    try {
      return await Promise.race([fn(), timeout])
    } catch (err) {
      if (LibnetworkError.isInstance(err)) throw err
      if (err instanceof Error && /too many operations in txn/.test(err.message)) {
        throw new BadRequestError('batch-too-large', `etcd refused the batch: ${err.message}`, {
          cause: err,
        })
      }
      if (err instanceof Error && /request is too large/.test(err.message)) {
        throw new BadRequestError('value-too-large', `etcd refused the request: ${err.message}`, {
          cause: err,
        })
      }
      throw unavailable(op, err, this.endpoints)
    } finally {
      clearTimeout(timer)
    }
  }

  #open(): void {
    if (this.#closed) throw closedError(this.backend)
  }
}

function unavailable(op: string, err: unknown, endpoints?: readonly string[]): UnavailableError {
  const message = err instanceof Error ? err.message : String(err)
  return new UnavailableError('etcd-unavailable', `etcd ${op} failed: ${message}`, {
    details: { op, ...(endpoints ? { endpoints } : {}) },
    cause: err,
  })
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function currentVersion(
  res: { response_range?: { kvs: IKeyValue[] } } | undefined,
): number | undefined {
  const kv = res?.response_range?.kvs[0]
  return kv ? Number(kv.mod_revision) : undefined
}

/** The smallest key greater than every key starting with `prefix` (etcd's range_end). */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

/** Connect to etcd at `opts.endpoints` (the connection is made lazily by the first call). */
export function etcdStore(opts: EtcdStoreOptions): EtcdStore {
  return new EtcdStore(opts)
}

import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { noopLogger, TimeoutError, UnavailableError, type Logger } from '@libnetwork/types'
import {
  ERROR_CATEGORY_HEADER,
  ERROR_CODE_HEADER,
  PLUGIN_CONTENT_TYPE,
} from '@libnetwork/plugin-server'
import { addressUrl, type PluginAddress } from './discovery.js'
import { badResponse, PluginErrorCode, remoteError, type CallFacts } from './errors.js'

export interface PluginClientOptions {
  /** Time limit of one call (one HTTP exchange), in ms; default 30 000. */
  timeout?: number
  /**
   * How long to keep trying while the plugin cannot be reached (no socket yet, connection
   * refused: it may be starting), in ms; default 30 000 as upstream. 0: one try.
   */
  retryFor?: number
  /** Where to log retries; nothing by default. */
  logger?: Logger
}

export interface CallOptions {
  signal?: AbortSignal
}

/** Errors that mean the request never reached a plugin, so it is safe to send again. */
const NOT_CONNECTED = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN'])

/**
 * Kept-alive connections are dropped after 4 s idle, before a plugin's own idle limit (Node's
 * servers: 5 s) closes them under a request: a request is never sent twice, so one written to
 * a connection the plugin was closing would fail.
 */
function newAgent(): Agent {
  return new Agent({ keepAlive: true, timeout: 4000 })
}

interface RawAnswer {
  status: number
  category?: string
  code?: string
  text: string
}

/**
 * A client of one plugin (Docker's plugin protocol v1): `POST /<Method>` with a JSON body, the
 * plugin content type, and `{"Err": …}` answers turned into typed errors. Connections are kept
 * alive between calls; `close()` drops them.
 */
export class PluginClient {
  readonly address: PluginAddress
  readonly #timeout: number
  readonly #retryFor: number
  readonly #logger: Logger
  #agent = newAgent()

  constructor(address: PluginAddress, opts: PluginClientOptions = {}) {
    this.address = address
    this.#timeout = opts.timeout ?? 30_000
    this.#retryFor = opts.retryFor ?? 30_000
    this.#logger = opts.logger ?? noopLogger
  }

  get name(): string {
    return this.address.name
  }

  /** The handshake: `POST /Plugin.Activate`; returns the `Implements` list. */
  async activate(opts: CallOptions = {}): Promise<string[]> {
    const res = await this.call('Plugin.Activate', null, opts)
    const impl = res.Implements
    if (!Array.isArray(impl) || !impl.every((x) => typeof x === 'string')) {
      throw badResponse(this.#facts('Plugin.Activate'), 'Implements is not a list of names')
    }
    return impl
  }

  /**
   * Call `method` (e.g. `NetworkDriver.CreateNetwork`) with `body`; resolves with the answer
   * object. Failures are typed: the plugin's `Err` (category from our server's headers or the
   * HTTP status), `plugin-unavailable` (cannot connect within `retryFor`, or the connection
   * broke mid-call), `plugin-timeout`, `plugin-bad-response`.
   */
  async call(
    method: string,
    body: unknown,
    opts: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const facts = this.#facts(method)
    const payload = JSON.stringify(body)
    const started = Date.now()
    let delay = 20
    for (let attempt = 1; ; attempt++) {
      opts.signal?.throwIfAborted()
      let raw: RawAnswer
      try {
        raw = await this.#send(method, payload, opts.signal)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ''
        if (err instanceof TimeoutError || opts.signal?.aborted) throw err
        if (!NOT_CONNECTED.has(code)) {
          throw new UnavailableError(
            PluginErrorCode.unavailable,
            `plugin ${facts.plugin}: ${method}: connection failed: ${(err as Error).message}`,
            { details: { ...facts, errno: code }, cause: err },
          )
        }
        const left = this.#retryFor - (Date.now() - started)
        if (left <= 0) {
          throw new UnavailableError(
            PluginErrorCode.unavailable,
            `plugin ${facts.plugin} at ${addressUrl(this.address)} cannot be reached (${code})`,
            { details: { ...facts, errno: code, attempts: attempt }, cause: err },
          )
        }
        this.#logger.warn('plugin not reachable, retrying', { ...facts, attempt, errno: code })
        await sleep(Math.min(delay, left), undefined, opts.signal ? { signal: opts.signal } : {})
        delay = Math.min(delay * 2, 1000)
        continue
      }
      return this.#decode(facts, raw)
    }
  }

  /** Drop kept-alive connections (the client stays usable). */
  close(): void {
    this.#agent.destroy()
    this.#agent = newAgent()
  }

  #facts(method: string): CallFacts {
    return { plugin: this.address.name, method }
  }

  #decode(facts: CallFacts, raw: RawAnswer): Record<string, unknown> {
    let json: unknown
    let parsed = true
    try {
      json = raw.text.trim() === '' ? {} : JSON.parse(raw.text)
    } catch (cause) {
      parsed = false
      if (raw.status === 200) throw badResponse(facts, 'malformed JSON', cause)
    }
    const errText =
      parsed && typeof json === 'object' && json !== null
        ? (json as { Err?: unknown }).Err
        : undefined
    if (raw.status !== 200) {
      const message = typeof errText === 'string' && errText !== '' ? errText : raw.text.trim()
      throw remoteError(facts, raw.status, message || `HTTP ${raw.status}`, raw.category, raw.code)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw badResponse(facts, 'the answer is not a JSON object')
    }
    if (typeof errText === 'string' && errText !== '') {
      throw remoteError(facts, raw.status, errText, raw.category, raw.code)
    }
    return json as Record<string, unknown>
  }

  #send(method: string, payload: string, signal?: AbortSignal): Promise<RawAnswer> {
    const a = this.address
    const where =
      a.protocol === 'unix' ? { socketPath: a.socketPath } : { host: a.host, port: a.port }
    return new Promise<RawAnswer>((resolve, reject) => {
      let req: ClientRequest | undefined = undefined
      const fail = (err: Error) => {
        cleanup()
        reject(err)
      }
      const timer = setTimeout(() => {
        fail(
          new TimeoutError(
            PluginErrorCode.timeout,
            `plugin ${a.name}: ${method}: no answer within ${this.#timeout} ms`,
            { details: { plugin: a.name, method, timeoutMs: this.#timeout } },
          ),
        )
        req?.destroy()
      }, this.#timeout)
      const onAbort = () => {
        fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
        req?.destroy()
      }
      const cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      req = request(
        {
          ...where,
          agent: this.#agent,
          method: 'POST',
          path: `/${method}`,
          headers: {
            'content-type': PLUGIN_CONTENT_TYPE,
            accept: PLUGIN_CONTENT_TYPE,
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', fail)
          res.on('end', () => {
            cleanup()
            const header = (h: string) => {
              const v = res.headers[h]
              return typeof v === 'string' ? v : undefined
            }
            resolve({
              status: res.statusCode ?? 0,
              ...(header(ERROR_CATEGORY_HEADER) !== undefined
                ? { category: header(ERROR_CATEGORY_HEADER) }
                : {}),
              ...(header(ERROR_CODE_HEADER) !== undefined
                ? { code: header(ERROR_CODE_HEADER) }
                : {}),
              text: Buffer.concat(chunks).toString('utf8'),
            })
          })
        },
      )
      req.on('error', fail)
      req.end(payload)
    })
  }
}

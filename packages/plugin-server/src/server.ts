import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { lstat, mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  BadRequestError,
  ConflictError,
  LibnetworkError,
  noopLogger,
  type Logger,
} from '@libnetwork/types'
import {
  checkRequest,
  METHODS,
  type CallContext,
  type Handler,
  type IpamDriverHandlers,
  type NetworkDriverHandlers,
} from './handlers.js'
import {
  ACCEPTED_CONTENT_TYPES,
  ERROR_CATEGORY_HEADER,
  ERROR_CODE_HEADER,
  IPAM_DRIVER,
  NETWORK_DRIVER,
  PLUGIN_CONTENT_TYPE,
} from './protocol.js'

export interface PluginServerOptions {
  /** Serve the `NetworkDriver` calls. */
  network?: NetworkDriverHandlers
  /** Serve the `IpamDriver` calls. */
  ipam?: IpamDriverHandlers
  /** Where to log failed calls; nothing by default. */
  logger?: Logger
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number
}

/** Where to listen: a unix socket path (Docker's way), or a TCP port (a `.spec` file's way). */
export type ListenAddress = { socketPath: string } | { host?: string; port: number }

export interface PluginServer {
  /** The handshake's `Implements` list. */
  readonly implements: readonly string[]
  /** `unix:///path` or `tcp://host:port` once listening, else undefined. */
  readonly address: string | undefined
  /**
   * Start serving. A unix socket's directory is created if missing; a stale socket file (no one
   * listening) is replaced, a live one is a ConflictError (`plugin-socket-in-use`).
   */
  listen(addr: ListenAddress): Promise<void>
  /** Stop serving: open connections are closed and the socket file removed. */
  close(): Promise<void>
  /** The request handler, to mount in an HTTP server of your own. */
  handle(req: IncomingMessage, res: ServerResponse): void
}

/** The directory Docker looks in for plugin sockets. */
export const DEFAULT_SOCKET_DIR = '/run/docker/plugins'

/** Create a plugin server for network and/or IPAM handlers. */
export function pluginServer(opts: PluginServerOptions): PluginServer {
  const logger = opts.logger ?? noopLogger
  const maxBody = opts.maxBodyBytes ?? 1 << 20
  const impl: string[] = []
  if (opts.network) impl.push(NETWORK_DRIVER)
  if (opts.ipam) impl.push(IPAM_DRIVER)
  if (impl.length === 0) {
    throw new BadRequestError(
      'plugin-no-handlers',
      'a plugin serves network or IPAM calls (or both)',
    )
  }
  const handlerSets: Record<string, object | undefined> = {
    [NETWORK_DRIVER]: opts.network,
    [IPAM_DRIVER]: opts.ipam,
  }
  let server: Server | undefined
  let address: string | undefined
  let socketPath: string | undefined

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res).catch((err: unknown) => {
      logger.error('plugin call failed', { url: req.url, err: String(err) })
      if (!res.headersSent) answerError(res, err)
      else res.destroy()
    })
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (req.method !== 'POST') {
      req.resume()
      return answer(res, 405, { Err: `${req.method ?? ''} not allowed: plugin calls are POST` })
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== '' && !ACCEPTED_CONTENT_TYPES.includes(type)) {
      req.resume()
      return answer(res, 415, { Err: `unsupported content type ${type}` })
    }
    const text = await readBody(req, maxBody)
    if (text === undefined) return answer(res, 413, { Err: `request body over ${maxBody} bytes` })
    let body: unknown = null
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text)
      } catch (err) {
        return answerError(
          res,
          new BadRequestError('plugin-malformed-request', `malformed JSON: ${String(err)}`),
        )
      }
    }
    if (path === '/Plugin.Activate') return answer(res, 200, { Implements: impl })
    const method = METHODS.get(path)
    const handlers = method && handlerSets[method.iface]
    if (!method || !handlers) return answer(res, 404, { Err: `${path} is not served here` })
    const handler = (handlers as Record<string, Handler<unknown, unknown> | undefined>)[method.key]
    if (!handler) {
      if (method.fallback) return answer(res, 200, method.fallback())
      return answer(res, 404, { Err: `${path} is not implemented by this plugin` })
    }
    const checked = checkRequest(method, body)
    if ('error' in checked) {
      return answerError(res, new BadRequestError('plugin-malformed-request', checked.error))
    }
    let result: unknown
    try {
      result = await handler(checked.req, callContext(res))
    } catch (err) {
      logger.warn('plugin handler failed', { path, err: String(err) })
      return answerError(res, err)
    }
    answer(res, 200, result ?? {})
  }

  return {
    implements: impl,
    get address() {
      return address
    },
    handle,
    async listen(addr) {
      if (server) throw new ConflictError('plugin-listening', `already listening on ${address}`)
      const s = createServer(handle)
      if ('socketPath' in addr) {
        await mkdir(dirname(addr.socketPath), { recursive: true })
        await removeStaleSocket(addr.socketPath)
        await listenOn(s, () => s.listen(addr.socketPath))
        socketPath = addr.socketPath
        address = `unix://${addr.socketPath}`
      } else {
        const host = addr.host ?? '127.0.0.1'
        await listenOn(s, () => s.listen(addr.port, host))
        const a = s.address()
        const port = typeof a === 'object' && a !== null ? a.port : addr.port
        address = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`
      }
      server = s
    },
    async close() {
      const s = server
      if (!s) return
      server = undefined
      address = undefined
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      s.closeAllConnections()
      await closed
      if (socketPath !== undefined) await rm(socketPath, { force: true })
      socketPath = undefined
    },
  }
}

/** The handler's context; its signal (made on first use) aborts when the client goes away. */
function callContext(res: ServerResponse): CallContext {
  let ac: AbortController | undefined
  return {
    get signal() {
      if (!ac) {
        const c = (ac = new AbortController())
        if (res.destroyed && !res.writableFinished) c.abort()
        else
          res.once('close', () => {
            if (!res.writableFinished) c.abort()
          })
      }
      return ac.signal
    },
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': PLUGIN_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

/**
 * Errors answer 500 with `{"Err": message}`, as Docker's own plugin helpers do (a 404 would
 * read as "not supported" to Docker's clients). Our errors also carry their category and code
 * in headers, so our client can restore them.
 */
function answerError(res: ServerResponse, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err)
  if (LibnetworkError.isInstance(err)) {
    res.setHeader(ERROR_CATEGORY_HEADER, err.category)
    res.setHeader(ERROR_CODE_HEADER, err.code)
  }
  const status =
    LibnetworkError.isInstance(err) && err.code === 'plugin-malformed-request' ? 400 : 500
  answer(res, status, { Err: message === '' ? 'plugin error' : message })
}

/** The body as text, or undefined when it is larger than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        req.off('data', onData)
        req.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      ),
    )
    req.once('error', reject)
  })
}

function listenOn(s: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    s.once('error', onError)
    s.once('listening', () => {
      s.off('error', onError)
      resolve()
    })
    start()
  })
}

async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (!st) return
  if (!st.isSocket()) {
    throw new ConflictError('plugin-socket-in-use', `${path} exists and is not a socket`, {
      details: { path },
    })
  }
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(path)
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })
  if (live) {
    throw new ConflictError('plugin-socket-in-use', `a plugin already listens on ${path}`, {
      details: { path },
    })
  }
  await rm(path, { force: true })
}

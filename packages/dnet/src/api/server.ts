import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { chmodSync, chownSync, existsSync, unlinkSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import {
  BadRequestError,
  httpStatus,
  toLibnetworkError,
  type LibnetworkError,
} from '@libnetwork/types'
import type { NetworkBackend } from '../backend.js'
import type { Logger } from '../log.js'
import { isLoopback, type TlsMaterial } from '../tls.js'
import { match } from './routes.js'
import { openapi } from './openapi.js'

export const MAX_BODY_BYTES = 1 << 20

export interface ApiServerOptions {
  backend: NetworkBackend
  logger: Logger
  version: string
  /** Unix socket path; created 0660 and owned by root:root when running as root. */
  socketPath?: string
  /**
   * Optional TCP listener; host defaults to 127.0.0.1. Without `tls` it must be a loopback
   * address (and then every local user controls the daemon).
   */
  tcp?: { host?: string; port: number }
  /** TLS of the TCP listener: clients must present a certificate signed by `ca`. */
  tls?: TlsMaterial
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status === 200 ? 204 : status, headers).end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/** Codes whose HTTP status is more precise than their category's. */
const STATUS_BY_CODE: Record<string, number> = {
  'body-too-large': 413,
  'unsupported-media-type': 415,
}

function statusOf(err: LibnetworkError): number {
  return STATUS_BY_CODE[err.code] ?? httpStatus(err.category)
}

function sendError(
  res: ServerResponse,
  err: LibnetworkError,
  status = statusOf(err),
  headers = {},
): void {
  send(
    res,
    status,
    {
      error: { category: err.category, code: err.code, message: err.message, details: err.details },
    },
    headers,
  )
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      throw new BadRequestError(
        'body-too-large',
        `request body is larger than ${MAX_BODY_BYTES} bytes`,
        {
          details: { limit: MAX_BODY_BYTES },
        },
      )
    }
    chunks.push(chunk)
  }
  if (size === 0) return undefined
  const type = req.headers['content-type']
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    throw new BadRequestError(
      'unsupported-media-type',
      `request body must be application/json, not ${type}`,
    )
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch (cause) {
    throw new BadRequestError(
      'malformed-json',
      `request body is not valid JSON: ${(cause as Error).message}`,
    )
  }
}

/** The REST API over HTTP on a unix socket and/or a loopback TCP port. */
export class ApiServer {
  private readonly servers: Server[] = []
  private readonly doc: Record<string, unknown>

  constructor(private readonly options: ApiServerOptions) {
    this.doc = openapi(options.version)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const url = new URL(req.url ?? '/', 'http://dnet')
    const method = req.method ?? 'GET'
    let status = 500
    try {
      if (method === 'GET' && url.pathname === '/openapi.json')
        return send(res, (status = 200), this.doc)
      if (method === 'GET' && url.pathname === '/_ping')
        return send(res, (status = 200), { ok: true })
      if (method === 'GET' && url.pathname === '/version')
        return send(res, (status = 200), { version: this.options.version })
      const m = match(method, url.pathname)
      if (m.kind === 'not-found') {
        status = 404
        return sendError(
          res,
          new BadRequestError('no-such-route', `no route ${method} ${url.pathname}`),
          404,
        )
      }
      if (m.kind === 'method-not-allowed') {
        status = 405
        return sendError(
          res,
          new BadRequestError(
            'method-not-allowed',
            `${method} is not allowed on ${url.pathname}; allowed: ${m.allow.join(', ')}`,
          ),
          405,
          { allow: m.allow.join(', ') },
        )
      }
      const body = m.route.body ? await readBody(req) : undefined
      if (m.route.body && body === undefined) {
        throw new BadRequestError(
          'missing-body',
          `${method} ${url.pathname} needs a JSON body (${m.route.body})`,
        )
      }
      const result = await m.route.handle(this.options.backend, m.params, body)
      status = m.route.status ?? 200
      send(res, status, result)
    } catch (e) {
      if (res.destroyed) {
        // The client went away mid-request (closed while its body was arriving or while it
        // waited): its business, not a failure of the daemon. 499 as web servers log it.
        status = 499
        this.options.logger.debug('client closed the request', {
          method,
          path: url.pathname,
          err: (e as Error).message,
        })
        return
      }
      const err = toLibnetworkError(e)
      status = statusOf(err)
      if (err.category === 'internal')
        this.options.logger.error('request failed', {
          method,
          path: url.pathname,
          err: err.message,
        })
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    } finally {
      this.options.logger.debug('request', {
        method,
        path: url.pathname,
        status,
        ms: Math.round((performance.now() - started) * 100) / 100,
      })
    }
  }

  async start(): Promise<void> {
    const { socketPath, tcp } = this.options
    const host = tcp?.host ?? '127.0.0.1'
    if (tcp && !this.options.tls && !isLoopback(host)) {
      throw new BadRequestError(
        'tcp-needs-tls',
        `TCP on ${host} needs TLS with client certificates; without TLS only loopback is allowed`,
        { details: { host } },
      )
    }
    if (socketPath) {
      mkdirSync(dirname(socketPath), { recursive: true })
      if (existsSync(socketPath)) unlinkSync(socketPath)
      await this.listen((s) => s.listen(socketPath))
      chmodSync(socketPath, 0o660)
      if (process.getuid?.() === 0) chownSync(socketPath, 0, 0)
    }
    if (tcp) await this.listen((s) => s.listen(tcp.port, host), this.options.tls)
  }

  /** The TCP address actually bound (useful with port 0). */
  tcpAddress(): { host: string; port: number } | undefined {
    for (const s of this.servers) {
      const a = s.address()
      if (a && typeof a === 'object') return { host: a.address, port: a.port }
    }
    return undefined
  }

  private listen(start: (s: Server) => void, tls?: TlsMaterial): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res)
    const server: Server = tls
      ? createTlsServer(
          { ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true },
          handler,
        )
      : createServer(handler)
    server.keepAliveTimeout = 5000
    server.requestTimeout = 60_000
    this.servers.push(server)
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.once('listening', () => {
        server.off('error', reject)
        resolve()
      })
      start(server)
    })
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve())
            s.closeIdleConnections()
          }),
      ),
    )
    this.servers.length = 0
    if (this.options.socketPath && existsSync(this.options.socketPath))
      unlinkSync(this.options.socketPath)
  }
}

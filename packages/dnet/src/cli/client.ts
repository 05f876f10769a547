import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { request as tlsRequest } from 'node:https'
import { connect, type NetConnectOpts } from 'node:net'

/** Where the CLI finds the daemon: `unix:///path` or `tcp://host:port` (with TLS or not). */
export type Endpoint = { socketPath: string } | { host: string; port: number; tls?: ClientTls }

/** TLS towards the daemon (`--tlsverify`): its CA, and this client's certificate and key. */
export interface ClientTls {
  ca: Buffer
  cert: Buffer
  key: Buffer
}

/** The global TLS flags given, read into PEM contents; the endpoint must be TCP. */
export function withTls(
  ep: Endpoint,
  flags: { verify: boolean; caCert?: string; cert?: string; key?: string },
): Endpoint {
  const given = flags.caCert !== undefined || flags.cert !== undefined || flags.key !== undefined
  if (!flags.verify) {
    if (given) throw new CliError('--tlscacert, --tlscert and --tlskey need --tlsverify', 2)
    return ep
  }
  if ('socketPath' in ep) throw new CliError('--tlsverify is for tcp:// hosts', 2)
  const read = (path: string | undefined, flag: string) => {
    if (!path) throw new CliError(`--tlsverify needs ${flag}`, 2)
    try {
      return readFileSync(path)
    } catch (e) {
      throw new CliError(`cannot read ${flag} ${path}: ${(e as Error).message}`, 2)
    }
  }
  return {
    ...ep,
    tls: {
      ca: read(flags.caCert, '--tlscacert'),
      cert: read(flags.cert, '--tlscert'),
      key: read(flags.key, '--tlskey'),
    },
  }
}

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix://')) return { socketPath: text.slice('unix://'.length) }
  if (text.startsWith('/')) return { socketPath: text }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(text)
  if (m) {
    const port = Number(m[2])
    if (port < 1 || port > 65535) {
      throw new CliError(
        `invalid --host ${JSON.stringify(text)}: the port must be 1 to 65535, not ${m[2]}`,
        2,
      )
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
  }
  throw new CliError(
    `invalid --host ${JSON.stringify(text)}: use unix:///path or tcp://host:port`,
    2,
  )
}

/** An error for the user: printed without a stack, exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

export interface ApiErrorBody {
  error?: { category?: string; code?: string; message?: string }
}

/** Call the daemon's REST API and return the parsed JSON answer; API errors become CliError. */
export function call(ep: Endpoint, method: string, path: string, body?: unknown): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const where = 'socketPath' in ep ? ep.socketPath : `${ep.host}:${ep.port}`
    let req: ReturnType<typeof request>
    try {
      const tls = 'tls' in ep ? ep.tls : undefined
      const target =
        'socketPath' in ep ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port }
      req = (tls ? tlsRequest : request)(
        {
          ...target,
          ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, agent: false } : {}),
          // One request, then the process ends: no agent, no keep-alive. (The agent would also
          // test the host name against Node's IPv6 pattern, whose first use costs 4 ms.)
          ...(tls ? {} : { createConnection: (o) => connect(o as NetConnectOpts) }),
          method,
          path,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : undefined
            } catch {
              parsed = undefined
            }
            const status = res.statusCode ?? 500
            if (status >= 400) {
              const e = (parsed as ApiErrorBody | undefined)?.error
              reject(
                new CliError(
                  `Error: ${e?.message ?? `HTTP ${status}`}${e?.category ? ` (${e.category})` : ''}`,
                ),
              )
            } else resolve(parsed)
          })
        },
      )
    } catch (err) {
      // Node refuses some addresses before connecting (a bad port, an invalid host name).
      reject(
        new CliError(`Error: cannot reach the dnet daemon at ${where}: ${(err as Error).message}`),
      )
      return
    }
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(
          new CliError(`Error: cannot reach the dnet daemon at ${where}: is it running? (dnet -d)`),
        )
      } else if (err.code === 'EACCES') {
        reject(
          new CliError(`Error: permission denied on ${where}: the API socket is for root only`),
        )
      } else reject(new CliError(`Error: cannot reach the dnet daemon at ${where}: ${err.message}`))
    })
    req.end(payload)
  })
}

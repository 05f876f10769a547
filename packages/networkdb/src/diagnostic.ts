/**
 * Optional diagnostic HTTP server with upstream's operations and reply shapes, bound to
 * loopback unless told otherwise. GET with query parameters, as upstream:
 * `/createentry?tname=t1&nid=net1&key=k&value=aGVsbG8=&json` (values in base64 unless
 * `&unsafe`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BadRequestError, toLibnetworkError } from '@libnetwork/types'
import type { LocalDB, TableEntry } from './db.js'
import type { NetworkDB } from './networkdb.js'

export interface DiagnosticOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0 (any free port); upstream uses 2000. */
  port?: number
}

export interface DiagnosticServer {
  /** `http://host:port` */
  readonly url: string
  close(): Promise<void>
}

type Query = URLSearchParams

/** Upstream's reply: `{ message, details }` (`message` "OK", "FAIL" or a usage complaint). */
interface Reply {
  message: string
  details: Details | null
}
interface ListDetails {
  size: number
  entries: (PeerEntry | TableEntryObj)[]
}
type Details =
  | { usage: string }
  | { error: string }
  | ListDetails
  | TableEntryObj
  | { entries: number; qlen: number }
  | { help: Record<string, string> }
/** Upstream's peer element; its name key really is "-=name" (a typo kept for compatibility). */
interface PeerEntry {
  '-=name': string
  ip: string
}
interface TableEntryObj {
  key: string
  value: string
  owner: string
}

const HELP: Record<string, string> = {
  '/join': 'join the cluster: ?members=ip:port,ip:port',
  '/networkpeers': 'nodes attached to a network: ?nid=',
  '/clusterpeers': 'nodes of the cluster',
  '/joinnetwork': 'join a network: ?nid=',
  '/leavenetwork': 'leave a network: ?nid=',
  '/createentry': 'create an entry: ?tname=&nid=&key=&value= (value in base64 unless &unsafe)',
  '/updateentry': 'update an entry: ?tname=&nid=&key=&value= (value in base64 unless &unsafe)',
  '/deleteentry': 'delete an entry: ?tname=&nid=&key=',
  '/getentry': 'read an entry: ?tname=&nid=&key=',
  '/gettable': 'entries of a table in a network: ?tname=&nid=',
  '/networkstats': 'entries and queued broadcasts of a joined network: ?nid=',
  '/ready': 'liveness',
  '/help': 'this list',
}

const USAGE: Record<string, string> = {
  '/join': '?members=ip1,ip2,...',
  '/networkpeers': '?nid=network_id',
  '/joinnetwork': '?nid=network_id',
  '/leavenetwork': '?nid=network_id',
  '/createentry': '?tname=table_name&nid=network_id&key=k&value=v',
  '/updateentry': '?tname=table_name&nid=network_id&key=k&value=v',
  '/deleteentry': '?tname=table_name&nid=network_id&key=k',
  '/getentry': '?tname=table_name&nid=network_id&key=k',
  '/gettable': '?tname=table_name&nid=network_id',
  '/networkstats': '?nid=network_id',
}

/** A missing parameter: answered with upstream's usage reply. */
class Usage extends Error {}

const ok = (details: Details | null = null): Reply => ({ message: 'OK', details })
const fail = (err: unknown): Reply => ({
  message: 'FAIL',
  details: { error: err instanceof Error ? err.message : String(err) },
})

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function value(q: Query): Uint8Array {
  const v = q.get('value') ?? ''
  if (q.has('unsafe')) return new TextEncoder().encode(v)
  if (!BASE64.test(v)) {
    throw new BadRequestError('networkdb.diagnostic-bad-base64', 'value is not valid base64', {
      details: { value: v },
    })
  }
  return new Uint8Array(Buffer.from(v, 'base64'))
}

function shown(q: Query, v: Uint8Array): string {
  return q.has('unsafe') ? new TextDecoder().decode(v) : Buffer.from(v).toString('base64')
}

function isCluster(db: LocalDB): db is NetworkDB {
  return typeof (db as Partial<NetworkDB>).join === 'function'
}

/** Text form of a reply, as upstream prints it without `json`. */
function text(r: Reply): string {
  const d = r.details
  if (d === null) return r.message
  let body: string
  if ('usage' in d) body = `Usage: ${d.usage}`
  else if ('error' in d) body = `Error: ${d.error}`
  else if ('size' in d) {
    const list = d
    body =
      `total entries: ${list.size}\n` +
      list.entries
        .map((e, i) =>
          'ip' in e
            ? `${i}) ${e['-=name']} -> ${e.ip}`
            : `${i}) k:\`${e.key}\` -> v:\`${e.value}\` owner:\`${e.owner}\``,
        )
        .join('\n')
  } else if ('qlen' in d) body = `entries: ${d.entries}, qlen: ${d.qlen}`
  else if ('key' in d) body = `key:\`${d.key}\` value:\`${d.value}\` owner:\`${d.owner}\``
  else body = JSON.stringify(d)
  return `${r.message}\n${body}`
}

/**
 * Serve diagnostics for `db`, as upstream's diagnostic server: GET with query parameters,
 * HTTP 200 with `{ message, details }` — `?json` for JSON (`?json=pretty` indented), text
 * otherwise. Values travel in base64 unless `unsafe` is given.
 */
export async function startDiagnosticServer(
  db: LocalDB,
  opts: DiagnosticOptions = {},
): Promise<DiagnosticServer> {
  const need = (q: Query, ...names: string[]): string[] =>
    names.map((n) => {
      const v = q.get(n)
      if (v === null || v === '') throw new Usage(n)
      return v
    })
  // upstream lists a peer without a known address as "orphan-<name>" with IP "unknown"
  const peers = (names: string[]): Details => ({
    size: names.length,
    entries: names.map((n) => {
      const ip = isCluster(db) ? db.peerAddress(n) : undefined
      return ip ? { '-=name': n, ip } : { '-=name': `orphan-${n}`, ip: 'unknown' }
    }),
  })
  const routes: Record<string, (q: Query) => Reply | Promise<Reply>> = {
    '/help': () => ok({ help: HELP }),
    '/ready': () => ok(null),
    '/join': async (q) => {
      const [members] = need(q, 'members')
      if (!isCluster(db)) return fail(new Error('this database has no cluster'))
      await db.join(members!.split(','))
      return ok()
    },
    '/networkpeers': (q) => ok(peers(db.networkPeers(need(q, 'nid')[0]!))),
    '/clusterpeers': () =>
      ok(
        peers(
          db
            .clusterPeers()
            .filter((p) => p.status === 'active')
            .map((p) => p.name),
        ),
      ),
    '/joinnetwork': async (q) => {
      await db.joinNetwork(need(q, 'nid')[0]!)
      return ok()
    },
    '/leavenetwork': async (q) => {
      await db.leaveNetwork(need(q, 'nid')[0]!)
      return ok()
    },
    '/createentry': (q) => {
      const [t, n, k] = need(q, 'tname', 'nid', 'key', 'value')
      db.createEntry(t!, n!, k!, value(q))
      return ok()
    },
    '/updateentry': (q) => {
      const [t, n, k] = need(q, 'tname', 'nid', 'key', 'value')
      db.updateEntry(t!, n!, k!, value(q))
      return ok()
    },
    '/deleteentry': (q) => {
      const [t, n, k] = need(q, 'tname', 'nid', 'key')
      db.deleteEntry(t!, n!, k!)
      return ok()
    },
    '/getentry': (q) => {
      const [t, n, k] = need(q, 'tname', 'nid', 'key')
      const e = db.getEntry(t!, n!, k!)
      return ok({ key: k!, value: shown(q, e.value), owner: '' })
    },
    '/gettable': (q) => {
      const [t, n] = need(q, 'tname', 'nid')
      const entries = db
        .getTable(t!, n!)
        .map((e: TableEntry) => ({ key: e.key, value: shown(q, e.value), owner: e.owner }))
      return ok({ size: entries.length, entries })
    },
    '/networkstats': (q) => {
      const [n] = need(q, 'nid')
      if (!db.networks().includes(n!)) return ok({ entries: -1, qlen: -1 })
      const qlen = isCluster(db) ? db.cluster.relayQueued(n!) : 0
      return ok({ entries: db.networkStats(n!).entries, qlen })
    },
  }

  const send = (res: ServerResponse, q: Query, status: number, r: Reply): void => {
    const json = q.has('json')
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain' })
    res.end(json ? JSON.stringify(r, null, q.get('json') === 'pretty' ? 2 : undefined) : text(r))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://diagnostic')
    const q = url.searchParams
    const route = routes[url.pathname]
    if (!route) {
      send(res, q, 404, { message: 'not implemented', details: { error: url.pathname } })
      return
    }
    try {
      send(res, q, 200, await route(q))
    } catch (err) {
      // as upstream: HTTP 200 with "FAIL" and the error, or the usage for a missing parameter
      if (err instanceof Usage) {
        send(res, q, 200, {
          message: 'missing parameter',
          details: { usage: `${url.pathname}${USAGE[url.pathname] ?? ''}` },
        })
      } else send(res, q, 200, fail(toLibnetworkError(err)))
    }
  }

  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const a = server.address() as AddressInfo
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

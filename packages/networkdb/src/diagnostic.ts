/**
 * Optional diagnostic HTTP server with upstream's operations, JSON in and out, bound to
 * loopback unless told otherwise. GET with query parameters, as upstream:
 * `/createentry?tname=t1&nid=net1&key=k&value=hello` (add `&encoding=base64` for binary values).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BadRequestError, NotFoundError, httpStatus, toLibnetworkError } from '@libnetwork/types'
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
type Handler = (q: Query) => unknown

const HELP: Record<string, string> = {
  '/join': 'join the cluster: ?members=ip:port,ip:port',
  '/networkpeers': 'nodes attached to a network: ?nid=',
  '/clusterpeers': 'nodes of the cluster',
  '/joinnetwork': 'join a network: ?nid=',
  '/leavenetwork': 'leave a network: ?nid=',
  '/createentry': 'create an entry: ?tname=&nid=&key=&value=[&encoding=base64]',
  '/updateentry': 'update an entry: ?tname=&nid=&key=&value=[&encoding=base64]',
  '/deleteentry': 'delete an entry: ?tname=&nid=&key=',
  '/getentry': 'read an entry: ?tname=&nid=&key=',
  '/gettable': 'live entries of a table in a network: ?tname=&nid=',
  '/networkstats': 'entries and peers of a joined network: ?nid=',
  '/ready': 'liveness',
  '/help': 'this list',
}

function param(q: Query, name: string): string {
  const v = q.get(name)
  if (v === null || v === '') {
    throw new BadRequestError('networkdb.diagnostic-missing-param', `missing parameter ${name}`, {
      details: { param: name },
    })
  }
  return v
}

function value(q: Query): Uint8Array {
  const v = param(q, 'value')
  return q.get('encoding') === 'base64'
    ? new Uint8Array(Buffer.from(v, 'base64'))
    : new TextEncoder().encode(v)
}

function show(e: TableEntry): Record<string, unknown> {
  return {
    table: e.table,
    network: e.network,
    key: e.key,
    owner: e.owner,
    ltime: e.ltime,
    value: Buffer.from(e.value).toString('base64'),
  }
}

function isCluster(db: LocalDB): db is NetworkDB {
  return typeof (db as Partial<NetworkDB>).join === 'function'
}

/** Serve diagnostics for `db`. */
export async function startDiagnosticServer(
  db: LocalDB,
  opts: DiagnosticOptions = {},
): Promise<DiagnosticServer> {
  const routes: Record<string, Handler> = {
    '/help': () => HELP,
    '/ready': () => ({ ready: true, nodeId: db.nodeId }),
    '/join': async (q) => {
      if (!isCluster(db)) {
        throw new NotFoundError('networkdb.diagnostic-no-cluster', 'this database has no cluster')
      }
      return { reached: await db.join(param(q, 'members').split(',')) }
    },
    '/networkpeers': (q) => ({ network: param(q, 'nid'), peers: db.networkPeers(param(q, 'nid')) }),
    '/clusterpeers': () => ({ peers: db.clusterPeers() }),
    '/joinnetwork': async (q) => {
      await db.joinNetwork(param(q, 'nid'))
      return { joined: param(q, 'nid') }
    },
    '/leavenetwork': async (q) => {
      await db.leaveNetwork(param(q, 'nid'))
      return { left: param(q, 'nid') }
    },
    '/createentry': (q) => {
      db.createEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key'), value(q))
      return show(db.getEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key')))
    },
    '/updateentry': (q) => {
      db.updateEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key'), value(q))
      return show(db.getEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key')))
    },
    '/deleteentry': (q) => {
      db.deleteEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key'))
      return { deleted: param(q, 'key') }
    },
    '/getentry': (q) => show(db.getEntry(param(q, 'tname'), param(q, 'nid'), param(q, 'key'))),
    '/gettable': (q) => ({
      entries: db.getTable(param(q, 'tname'), param(q, 'nid')).map(show),
    }),
    '/networkstats': (q) => ({ network: param(q, 'nid'), ...db.networkStats(param(q, 'nid')) }),
  }

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://diagnostic')
    const route = routes[url.pathname]
    if (!route) {
      send(res, 404, { error: { code: 'networkdb.diagnostic-unknown-path', path: url.pathname } })
      return
    }
    try {
      send(res, 200, await route(url.searchParams))
    } catch (err) {
      const e = toLibnetworkError(err)
      send(res, httpStatus(e.category), { error: e.toJSON() })
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

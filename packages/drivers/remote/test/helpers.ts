import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { ConflictError, ForbiddenError, NotFoundError, type Logger } from '@libnetwork/types'
import {
  pluginServer,
  type NetworkDriverHandlers,
  type PluginServer,
  type PluginServerOptions,
} from '@libnetwork/plugin-server'
import { PluginClient, type PluginClientOptions } from '../src/index.js'

/** A temp directory removed when the test ends. */
export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-remote-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Serve a plugin written with our server library at `<dir>/<name>.sock` for the test's life. */
export async function servePlugin(
  t: Test,
  dir: string,
  name: string,
  opts: PluginServerOptions,
): Promise<PluginServer> {
  const s = pluginServer(opts)
  await s.listen({ socketPath: join(dir, `${name}.sock`) })
  t.teardown(() => s.close())
  return s
}

/** A client of `<dir>/<name>.sock`. */
export function clientOf(t: Test, dir: string, name: string, opts: PluginClientOptions = {}) {
  const c = new PluginClient(
    { name, protocol: 'unix', socketPath: join(dir, `${name}.sock`), source: dir },
    opts,
  )
  t.teardown(() => c.close())
  return c
}

/** A bare HTTP server on a unix socket, for answers our server library would never give. */
export async function rawPlugin(
  t: Test,
  socketPath: string,
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
) {
  const s = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => handle(req, res, body))
  })
  await new Promise<void>((r) => s.listen(socketPath, r))
  t.teardown(
    () =>
      new Promise<void>((r) => {
        s.closeAllConnections()
        s.close(() => r())
      }),
  )
  return s
}

/** A logger that records warnings and calls `onWarn` for each. */
export function recordingLogger(onWarn: (msg: string) => void = () => {}): Logger & {
  warnings: string[]
} {
  const warnings: string[] = []
  return {
    warnings,
    debug() {},
    info() {},
    warn(msg) {
      warnings.push(msg)
      onWarn(msg)
    },
    error() {},
  }
}

/**
 * A small in-memory network plugin (networks and endpoints, typed errors), recording every call
 * with its request as the wire carried it.
 */
export function memoryNetworkPlugin(): {
  handlers: NetworkDriverHandlers
  calls: Array<[string, unknown]>
  networks: Map<string, Set<string>>
} {
  const calls: Array<[string, unknown]> = []
  const networks = new Map<string, Set<string>>()
  const net = (id: string) => {
    const n = networks.get(id)
    if (!n) throw new NotFoundError('driver-network-not-found', `network ${id} not found`)
    return n
  }
  const ep = (nid: string, eid: string) => {
    const n = net(nid)
    if (!n.has(eid))
      throw new NotFoundError('driver-endpoint-not-found', `endpoint ${eid} not found`)
  }
  const handlers: NetworkDriverHandlers = {
    getCapabilities: () => ({ Scope: 'local', ConnectivityScope: 'global' }),
    createNetwork: (req) => {
      calls.push(['CreateNetwork', req])
      if (networks.has(req.NetworkID)) {
        throw new ConflictError('driver-network-exists', `network ${req.NetworkID} exists`)
      }
      networks.set(req.NetworkID, new Set())
    },
    deleteNetwork: (req) => {
      calls.push(['DeleteNetwork', req])
      if (net(req.NetworkID).size > 0) {
        throw new ForbiddenError('driver-forbidden', `network ${req.NetworkID} has endpoints`)
      }
      networks.delete(req.NetworkID)
    },
    createEndpoint: (req) => {
      calls.push(['CreateEndpoint', req])
      const n = net(req.NetworkID)
      if (n.has(req.EndpointID)) {
        throw new ConflictError('driver-endpoint-exists', `endpoint ${req.EndpointID} exists`)
      }
      n.add(req.EndpointID)
      return req.Interface?.MacAddress ? {} : { Interface: { MacAddress: '02:42:0a:00:00:02' } }
    },
    deleteEndpoint: (req) => {
      calls.push(['DeleteEndpoint', req])
      ep(req.NetworkID, req.EndpointID)
      networks.get(req.NetworkID)!.delete(req.EndpointID)
    },
    endpointOperInfo: (req) => {
      ep(req.NetworkID, req.EndpointID)
      return {
        Value: {
          'com.docker.network.endpoint.macaddress': '02:42:0a:00:00:02',
          id: req.EndpointID,
        },
      }
    },
    join: (req) => {
      calls.push(['Join', req])
      ep(req.NetworkID, req.EndpointID)
      return {
        InterfaceName: { SrcName: `veth${req.EndpointID.slice(0, 7)}`, DstPrefix: 'eth' },
        Gateway: '10.0.0.1',
        StaticRoutes: [
          { Destination: '192.168.0.0/16', RouteType: 0, NextHop: '10.0.0.254' },
          { Destination: '10.9.0.0/16', RouteType: 1 },
        ],
      }
    },
    leave: (req) => {
      calls.push(['Leave', req])
      ep(req.NetworkID, req.EndpointID)
    },
    discoverNew: (req) => void calls.push(['DiscoverNew', req]),
    discoverDelete: (req) => void calls.push(['DiscoverDelete', req]),
  }
  return { handlers, calls, networks }
}

import type { NetworkBackend, NetworkCreate, EndpointCreate, SandboxCreate } from '../backend.js'
import { validate } from './validate.js'

export type Method = 'GET' | 'POST' | 'DELETE'

export interface Route {
  method: Method
  /** Path template; `{x}` segments are parameters. */
  path: string
  summary: string
  body?: 'NetworkCreate' | 'EndpointCreate' | 'SandboxCreate' | 'Join'
  status?: number
  handle(backend: NetworkBackend, params: Record<string, string>, body: unknown): Promise<unknown>
}

/** The REST API, resource by resource, as upstream dnet has them. */
export const routes: Route[] = [
  { method: 'GET', path: '/networks', summary: 'List networks', handle: (b) => b.listNetworks() },
  {
    method: 'GET',
    path: '/plugins',
    summary: 'List the remote network and IPAM plugins found',
    handle: async (b) => (b.listPlugins ? b.listPlugins() : []),
  },
  {
    method: 'GET',
    path: '/cluster/members',
    summary: "List the cluster's members and their state",
    handle: async (b) => (b.listClusterMembers ? b.listClusterMembers() : []),
  },
  {
    method: 'POST',
    path: '/networks',
    summary: 'Create a network',
    body: 'NetworkCreate',
    status: 201,
    handle: (b, _p, body) => b.createNetwork(validate<NetworkCreate>('NetworkCreate', body)),
  },
  {
    method: 'GET',
    path: '/networks/{network}',
    summary: 'Inspect a network',
    handle: (b, p) => b.getNetwork(p.network!),
  },
  {
    method: 'DELETE',
    path: '/networks/{network}',
    summary: 'Delete a network',
    status: 204,
    handle: (b, p) => b.deleteNetwork(p.network!),
  },
  {
    method: 'GET',
    path: '/networks/{network}/endpoints',
    summary: "List a network's endpoints (services)",
    handle: (b, p) => b.listEndpoints(p.network),
  },
  {
    method: 'POST',
    path: '/networks/{network}/endpoints',
    summary: 'Create an endpoint on a network (publish a service)',
    body: 'EndpointCreate',
    status: 201,
    handle: (b, p, body) =>
      b.createEndpoint(p.network!, validate<EndpointCreate>('EndpointCreate', body)),
  },
  {
    method: 'GET',
    path: '/networks/{network}/endpoints/{endpoint}',
    summary: 'Inspect an endpoint',
    handle: (b, p) => b.getEndpoint(p.network!, p.endpoint!),
  },
  {
    method: 'DELETE',
    path: '/networks/{network}/endpoints/{endpoint}',
    summary: 'Delete an endpoint (unpublish a service)',
    status: 204,
    handle: (b, p) => b.deleteEndpoint(p.network!, p.endpoint!),
  },
  {
    method: 'POST',
    path: '/networks/{network}/endpoints/{endpoint}/sandboxes',
    summary: 'Join an endpoint to a sandbox (attach a container)',
    body: 'Join',
    handle: (b, p, body) => {
      const req = validate<{ sandbox: string; aliases?: string[] }>('Join', body)
      return b.join(
        p.network!,
        p.endpoint!,
        req.sandbox,
        req.aliases ? { aliases: req.aliases } : {},
      )
    },
  },
  {
    method: 'DELETE',
    path: '/networks/{network}/endpoints/{endpoint}/sandboxes/{sandbox}',
    summary: 'Leave a sandbox (detach a container)',
    handle: (b, p) => b.leave(p.network!, p.endpoint!, p.sandbox!),
  },
  {
    method: 'GET',
    path: '/services',
    summary: 'List every endpoint (service)',
    handle: (b) => b.listEndpoints(),
  },
  {
    method: 'GET',
    path: '/sandboxes',
    summary: 'List sandboxes (containers)',
    handle: (b) => b.listSandboxes(),
  },
  {
    method: 'POST',
    path: '/sandboxes',
    summary: 'Create a sandbox (container)',
    body: 'SandboxCreate',
    status: 201,
    handle: (b, _p, body) => b.createSandbox(validate<SandboxCreate>('SandboxCreate', body)),
  },
  {
    method: 'GET',
    path: '/sandboxes/{sandbox}',
    summary: 'Inspect a sandbox',
    handle: (b, p) => b.getSandbox(p.sandbox!),
  },
  {
    method: 'DELETE',
    path: '/sandboxes/{sandbox}',
    summary: 'Delete a sandbox (container)',
    status: 204,
    handle: (b, p) => b.deleteSandbox(p.sandbox!),
  },
]

interface Compiled {
  route: Route
  parts: string[]
}
const compiled: Compiled[] = routes.map((route) => ({
  route,
  parts: route.path.split('/').slice(1),
}))

export type Match =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: Method[] }
  | { kind: 'not-found' }

/** Find the route for a method and path (path without query string). */
export function match(method: string, path: string): Match {
  const segs = path.split('/').slice(1)
  if (segs.length > 0 && segs[segs.length - 1] === '') segs.pop()
  const allow: Method[] = []
  for (const { route, parts } of compiled) {
    if (parts.length !== segs.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      const s = segs[i]!
      if (p.startsWith('{')) {
        let v: string
        try {
          v = decodeURIComponent(s)
        } catch {
          ok = false
          break
        }
        if (v === '') {
          ok = false
          break
        }
        params[p.slice(1, -1)] = v
      } else if (p !== s) {
        ok = false
        break
      }
    }
    if (!ok) continue
    if (route.method === method) return { kind: 'route', route, params }
    allow.push(route.method)
  }
  return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' }
}

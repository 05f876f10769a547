import type { ParseArgsConfig } from 'node:util'
import type {
  ClusterMemberView,
  EndpointView,
  NetworkView,
  PluginView,
  PortBinding,
  SandboxView,
} from '../backend.js'
import { call, CliError, type Endpoint } from './client.js'
import { shortId, table } from './format.js'

export interface Io {
  out(text: string): void
}

type Options = NonNullable<ParseArgsConfig['options']>
interface Command {
  usage: string
  summary: string
  options: Options
  run(ep: Endpoint, io: Io, values: Record<string, unknown>, args: string[]): Promise<void>
}

const json = { json: { type: 'boolean' } } as const
const quiet = { quiet: { type: 'boolean', short: 'q' } } as const

function one(args: string[], what: string): string {
  if (args.length !== 1) throw new CliError(`expected exactly one ${what}, got ${args.length}`, 2)
  return args[0]!
}

/** `svc.net` → [svc, net]; the service name may itself contain dots, the network may not. */
function serviceRef(text: string): [string, string] {
  const dot = text.lastIndexOf('.')
  if (dot <= 0 || dot === text.length - 1)
    throw new CliError(`expected SERVICE.NETWORK, got ${JSON.stringify(text)}`, 2)
  return [text.slice(0, dot), text.slice(dot + 1)]
}

function keyValues(list: unknown, flag: string): Record<string, string> | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const item of list as string[]) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new CliError(`${flag} expects KEY=VALUE, got ${JSON.stringify(item)}`, 2)
    out[item.slice(0, eq)] = item.slice(eq + 1)
  }
  return out
}

/** `-p [hostIp:][hostPort:]port[/proto]` as docker run accepts it. */
export function parsePublish(text: string): PortBinding {
  const m = /^(?:(?:(\[[^\]]+\]|[0-9.]+):)?(\d*)(?:-(\d+))?:)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(
    text,
  )
  if (!m)
    throw new CliError(
      `invalid -p ${JSON.stringify(text)}: use [HOST_IP:][HOST_PORT:]PORT[/PROTO]`,
      2,
    )
  const b: PortBinding = {
    protocol: (m[5] as PortBinding['protocol'] | undefined) ?? 'tcp',
    port: Number(m[4]),
  }
  if (m[1]) b.hostIp = m[1].replace(/^\[|\]$/g, '')
  if (m[2]) b.hostPort = Number(m[2])
  if (m[3]) b.hostPortEnd = Number(m[3])
  return b
}

function ports(e: EndpointView): string {
  return e.portBindings
    .map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort ?? ''}->${p.port}/${p.protocol}`)
    .join(', ')
}

async function printList<T>(
  io: Io,
  values: Record<string, unknown>,
  items: T[],
  id: (t: T) => string,
  render: () => string,
) {
  if (values.json) io.out(JSON.stringify(items, null, 2) + '\n')
  else if (values.quiet) io.out(items.map((i) => id(i) + '\n').join(''))
  else io.out(render())
}

const enc = encodeURIComponent

export const commands: Record<string, Record<string, Command>> = {
  network: {
    create: {
      usage: 'dnet network create [OPTIONS] NAME',
      summary: 'Create a network',
      options: {
        driver: { type: 'string', short: 'd' },
        id: { type: 'string' },
        subnet: { type: 'string', multiple: true },
        gateway: { type: 'string', multiple: true },
        'ip-range': { type: 'string', multiple: true },
        'ipam-driver': { type: 'string' },
        internal: { type: 'boolean' },
        ipv6: { type: 'boolean' },
        attachable: { type: 'boolean' },
        opt: { type: 'string', short: 'o', multiple: true },
        label: { type: 'string', multiple: true },
        ...json,
      },
      async run(ep, io, v, args) {
        const subnets = (v.subnet as string[] | undefined) ?? []
        const gateways = (v.gateway as string[] | undefined) ?? []
        const ranges = (v['ip-range'] as string[] | undefined) ?? []
        if (gateways.length > subnets.length || ranges.length > subnets.length) {
          throw new CliError('--gateway and --ip-range need a --subnet each', 2)
        }
        const config = subnets.map((subnet, i) => ({
          subnet,
          ...(gateways[i] ? { gateway: gateways[i] } : {}),
          ...(ranges[i] ? { ipRange: ranges[i] } : {}),
        }))
        const body = {
          name: one(args, 'NAME'),
          ...(v.id !== undefined ? { id: v.id } : {}),
          ...(v.driver ? { driver: v.driver } : {}),
          ...(config.length || v['ipam-driver']
            ? {
                ipam: {
                  ...(v['ipam-driver'] ? { driver: v['ipam-driver'] } : {}),
                  ...(config.length ? { config } : {}),
                },
              }
            : {}),
          ...(v.internal ? { internal: true } : {}),
          ...(v.ipv6 ? { ipv6: true } : {}),
          ...(v.attachable ? { attachable: true } : {}),
          ...(keyValues(v.opt, '--opt') ? { options: keyValues(v.opt, '--opt') } : {}),
          ...(keyValues(v.label, '--label') ? { labels: keyValues(v.label, '--label') } : {}),
        }
        const n = (await call(ep, 'POST', '/networks', body)) as NetworkView
        io.out(v.json ? JSON.stringify(n, null, 2) + '\n' : n.id + '\n')
      },
    },
    ls: {
      usage: 'dnet network ls [-q] [--json]',
      summary: 'List networks',
      options: { ...quiet, ...json },
      async run(ep, io, v) {
        const list = (await call(ep, 'GET', '/networks')) as NetworkView[]
        await printList(
          io,
          v,
          list,
          (n) => n.id,
          () =>
            table(
              ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'SCOPE'],
              list.map((n) => [
                shortId(n.id),
                n.name,
                n.driver,
                n.ipam.config.map((c) => c.subnet ?? '').join(','),
                n.scope,
              ]),
            ),
        )
      },
    },
    inspect: {
      usage: 'dnet network inspect NAME|ID...',
      summary: 'Show networks in detail (JSON)',
      options: {},
      async run(ep, io, _v, args) {
        if (args.length === 0) throw new CliError('expected at least one network', 2)
        const out = []
        for (const a of args) out.push(await call(ep, 'GET', `/networks/${enc(a)}`))
        io.out(JSON.stringify(out, null, 2) + '\n')
      },
    },
    rm: {
      usage: 'dnet network rm NAME|ID...',
      summary: 'Remove networks',
      options: {},
      async run(ep, io, _v, args) {
        if (args.length === 0) throw new CliError('expected at least one network', 2)
        for (const a of args) {
          await call(ep, 'DELETE', `/networks/${enc(a)}`)
          io.out(a + '\n')
        }
      },
    },
  },
  container: {
    create: {
      usage: 'dnet container create [OPTIONS] NAME',
      summary: 'Create a container (a sandbox: its own network namespace)',
      options: {
        hostname: { type: 'string' },
        domainname: { type: 'string' },
        dns: { type: 'string', multiple: true },
        'dns-search': { type: 'string', multiple: true },
        'dns-option': { type: 'string', multiple: true },
        'add-host': { type: 'string', multiple: true },
        'host-network': { type: 'boolean' },
        ...json,
      },
      async run(ep, io, v, args) {
        const extraHosts = ((v['add-host'] as string[] | undefined) ?? []).map((h) => {
          const i = h.lastIndexOf(':')
          if (i <= 0) throw new CliError(`--add-host expects NAME:IP, got ${JSON.stringify(h)}`, 2)
          return { name: h.slice(0, i), address: h.slice(i + 1) }
        })
        const body = {
          containerId: one(args, 'NAME'),
          ...(v.hostname ? { hostname: v.hostname } : {}),
          ...(v.domainname ? { domainName: v.domainname } : {}),
          ...(v.dns ? { dns: v.dns } : {}),
          ...(v['dns-search'] ? { dnsSearch: v['dns-search'] } : {}),
          ...(v['dns-option'] ? { dnsOptions: v['dns-option'] } : {}),
          ...(extraHosts.length ? { extraHosts } : {}),
          ...(v['host-network'] ? { useHostNetwork: true } : {}),
        }
        const s = (await call(ep, 'POST', '/sandboxes', body)) as SandboxView
        io.out(v.json ? JSON.stringify(s, null, 2) + '\n' : s.id + '\n')
      },
    },
    rm: {
      usage: 'dnet container rm NAME|ID...',
      summary: 'Remove containers',
      options: {},
      async run(ep, io, _v, args) {
        if (args.length === 0) throw new CliError('expected at least one container', 2)
        for (const a of args) {
          await call(ep, 'DELETE', `/sandboxes/${enc(a)}`)
          io.out(a + '\n')
        }
      },
    },
    ls: {
      usage: 'dnet container ls [-q] [--json]',
      summary: 'List containers',
      options: { ...quiet, ...json },
      async run(ep, io, v) {
        const list = (await call(ep, 'GET', '/sandboxes')) as SandboxView[]
        await printList(
          io,
          v,
          list,
          (s) => s.id,
          () =>
            table(
              ['SANDBOX ID', 'CONTAINER', 'HOSTNAME', 'ENDPOINTS', 'KEY'],
              list.map((s) => [
                shortId(s.id),
                s.containerId,
                s.hostname,
                String(s.endpoints.length),
                s.key,
              ]),
            ),
        )
      },
    },
  },
  service: {
    publish: {
      usage:
        'dnet service publish [-p [HOST_IP:][HOST_PORT:]PORT[/PROTO]]... [--alias NAME]... SERVICE.NETWORK',
      summary: 'Publish a service: create an endpoint on a network',
      options: {
        publish: { type: 'string', short: 'p', multiple: true },
        alias: { type: 'string', multiple: true },
        ip: { type: 'string' },
        ...json,
      },
      async run(ep, io, v, args) {
        const [svc, net] = serviceRef(one(args, 'SERVICE.NETWORK'))
        const bindings = ((v.publish as string[] | undefined) ?? []).map(parsePublish)
        const body = {
          name: svc,
          ...(bindings.length
            ? {
                portBindings: bindings,
                exposedPorts: bindings.map((b) => ({ protocol: b.protocol, port: b.port })),
              }
            : {}),
          ...(v.alias ? { aliases: v.alias } : {}),
          ...(v.ip ? { ipv4Address: v.ip } : {}),
        }
        const e = (await call(ep, 'POST', `/networks/${enc(net)}/endpoints`, body)) as EndpointView
        io.out(v.json ? JSON.stringify(e, null, 2) + '\n' : e.id + '\n')
      },
    },
    unpublish: {
      usage: 'dnet service unpublish SERVICE.NETWORK',
      summary: 'Unpublish a service: delete its endpoint',
      options: {},
      async run(ep, io, _v, args) {
        const [svc, net] = serviceRef(one(args, 'SERVICE.NETWORK'))
        await call(ep, 'DELETE', `/networks/${enc(net)}/endpoints/${enc(svc)}`)
        io.out(`${svc}.${net}\n`)
      },
    },
    attach: {
      usage: 'dnet service attach CONTAINER SERVICE.NETWORK',
      summary: "Attach a container to a service's endpoint (join)",
      options: { alias: { type: 'string', multiple: true }, ...json },
      async run(ep, io, v, args) {
        if (args.length !== 2) throw new CliError('expected CONTAINER SERVICE.NETWORK', 2)
        const [svc, net] = serviceRef(args[1]!)
        const e = (await call(ep, 'POST', `/networks/${enc(net)}/endpoints/${enc(svc)}/sandboxes`, {
          sandbox: args[0],
          ...(v.alias ? { aliases: v.alias } : {}),
        })) as EndpointView
        io.out(v.json ? JSON.stringify(e, null, 2) + '\n' : `${e.ipv4Address ?? ''}\n`)
      },
    },
    detach: {
      usage: 'dnet service detach CONTAINER SERVICE.NETWORK',
      summary: 'Detach a container from a service (leave)',
      options: {},
      async run(ep, io, _v, args) {
        if (args.length !== 2) throw new CliError('expected CONTAINER SERVICE.NETWORK', 2)
        const [svc, net] = serviceRef(args[1]!)
        await call(
          ep,
          'DELETE',
          `/networks/${enc(net)}/endpoints/${enc(svc)}/sandboxes/${enc(args[0]!)}`,
        )
        io.out(`${args[0]}\n`)
      },
    },
    ls: {
      usage: 'dnet service ls [--net NETWORK] [-q] [--json]',
      summary: 'List services (endpoints)',
      options: { net: { type: 'string' }, ...quiet, ...json },
      async run(ep, io, v) {
        const path = v.net ? `/networks/${enc(v.net as string)}/endpoints` : '/services'
        const list = (await call(ep, 'GET', path)) as EndpointView[]
        await printList(
          io,
          v,
          list,
          (e) => e.id,
          () =>
            table(
              ['SERVICE ID', 'NAME', 'NETWORK', 'CONTAINER', 'IP', 'PORTS'],
              list.map((e) => [
                shortId(e.id),
                e.name,
                e.networkName,
                e.sandboxId ? shortId(e.sandboxId) : '',
                e.ipv4Address ?? '',
                ports(e),
              ]),
            ),
        )
      },
    },
    inspect: {
      usage: 'dnet service inspect SERVICE.NETWORK',
      summary: 'Show a service in detail (JSON)',
      options: {},
      async run(ep, io, _v, args) {
        const [svc, net] = serviceRef(one(args, 'SERVICE.NETWORK'))
        io.out(
          JSON.stringify(
            await call(ep, 'GET', `/networks/${enc(net)}/endpoints/${enc(svc)}`),
            null,
            2,
          ) + '\n',
        )
      },
    },
  },
  cluster: {
    ls: {
      usage: 'dnet cluster ls [-q] [--json]',
      summary: "List the cluster's members and their state",
      options: { ...quiet, ...json },
      async run(ep, io, v) {
        const list = (await call(ep, 'GET', '/cluster/members')) as ClusterMemberView[]
        await printList(
          io,
          v,
          list,
          (m) => m.name,
          () =>
            table(
              ['NAME', 'ADDRESS', 'STATE'],
              list.map((m) => [m.self ? `${m.name} (this host)` : m.name, m.address, m.state]),
            ),
        )
      },
    },
  },
  plugin: {
    ls: {
      usage: 'dnet plugin ls [-q] [--json]',
      summary: 'List the remote network and IPAM plugins found',
      options: { ...quiet, ...json },
      async run(ep, io, v) {
        const list = (await call(ep, 'GET', '/plugins')) as PluginView[]
        await printList(
          io,
          v,
          list,
          (p) => p.name,
          () =>
            table(
              ['NAME', 'IMPLEMENTS', 'ADDRESS'],
              list.map((p) => [p.name, (p.implements ?? ['(not used yet)']).join(','), p.address]),
            ),
        )
      },
    },
  },
}

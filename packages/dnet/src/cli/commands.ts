/** The CLI's commands, group by group (`dnet network …` lives in network-commands.ts). */
import type { ClusterMemberView, EndpointView, PluginView, SandboxView } from '../backend.js'
import { call, CliError } from './client.js'
import { shortId, table } from './format.js'
import { networkCommands } from './network-commands.js'
import {
  eachName,
  enc,
  json,
  one,
  parseExtraHost,
  parsePublish,
  ports,
  printList,
  quiet,
  serviceRef,
  type Command,
} from './shared.js'

export type { Io } from './shared.js'
export { parsePublish } from './shared.js'

export const commands: Record<string, Record<string, Command>> = {
  network: networkCommands,
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
        const extraHosts = ((v['add-host'] as string[] | undefined) ?? []).map(parseExtraHost)
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
        await eachName(args, 'container', async (a) => {
          await call(ep, 'DELETE', `/sandboxes/${enc(a)}`)
          io.out(a + '\n')
        })
      },
    },
    ls: {
      usage: 'dnet container ls [-q] [--json]',
      summary: 'List containers',
      options: { ...quiet, ...json },
      async run(ep, io, v) {
        const list = (await call(ep, 'GET', '/sandboxes')) as SandboxView[]
        printList(
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
      usage: 'dnet service unpublish SERVICE.NETWORK...',
      summary: 'Unpublish services: delete their endpoints',
      options: {},
      async run(ep, io, _v, args) {
        // Malformed references are usage errors before anything is deleted.
        const refs = args.map(serviceRef)
        await eachName(args, 'SERVICE.NETWORK', async (a) => {
          const [svc, net] = refs[args.indexOf(a)]!
          await call(ep, 'DELETE', `/networks/${enc(net)}/endpoints/${enc(svc)}`)
          io.out(`${a}\n`)
        })
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
        // The table names the container attached, so it asks for the sandboxes when one is.
        const containers = new Map<string, string>()
        if (!v.json && !v.quiet && list.some((e) => e.sandboxId)) {
          for (const s of (await call(ep, 'GET', '/sandboxes')) as SandboxView[])
            containers.set(s.id, s.containerId)
        }
        printList(
          io,
          v,
          list,
          (e) => e.id,
          () =>
            table(
              ['SERVICE ID', 'NAME', 'NETWORK', 'CONTAINER', 'SANDBOX ID', 'IP', 'PORTS'],
              list.map((e) => [
                shortId(e.id),
                e.name,
                e.networkName,
                e.sandboxId ? (containers.get(e.sandboxId) ?? '') : '',
                e.sandboxId ? shortId(e.sandboxId) : '',
                e.ipv4Address ?? '',
                ports(e),
              ]),
            ),
        )
      },
    },
    inspect: {
      usage: 'dnet service inspect SERVICE.NETWORK...',
      summary: 'Show services in detail (a JSON array, as network inspect)',
      options: {},
      async run(ep, io, _v, args) {
        const refs = args.map(serviceRef)
        const out: unknown[] = []
        try {
          await eachName(args, 'SERVICE.NETWORK', async (a) => {
            const [svc, net] = refs[args.indexOf(a)]!
            out.push(await call(ep, 'GET', `/networks/${enc(net)}/endpoints/${enc(svc)}`))
          })
        } finally {
          if (args.length > 0) io.out(JSON.stringify(out, null, 2) + '\n')
        }
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
        printList(
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
        printList(
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

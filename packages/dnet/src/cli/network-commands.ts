/** `dnet network …`: create, ls (with --filter and --format), inspect and rm. */
import type { NetworkView } from '../backend.js'
import { call, CliError } from './client.js'
import { shortId, table } from './format.js'
import { formatList, matches, parseFilters, parseFormat, type ListSchema } from './list-format.js'
import { eachName, enc, json, keyValues, one, printList, quiet, type Command } from './shared.js'

const subnets = (n: NetworkView) => n.ipam.config.map((c) => c.subnet ?? '').join(',')

/** What `network ls --filter` and `--format` know of a network. */
export const networkList: ListSchema<NetworkView> = {
  filters: {
    name: (n, v) => matches(n.name, v),
    id: (n, v) => matches(n.id, v),
    driver: (n, v) => n.driver === v,
    scope: (n, v) => n.scope === v,
    label: (n, v) => {
      const eq = v.indexOf('=')
      return eq < 0 ? v in n.labels : n.labels[v.slice(0, eq)] === v.slice(eq + 1)
    },
  },
  fields: {
    ID: { header: 'NETWORK ID', text: (n) => shortId(n.id) },
    Name: { header: 'NAME', text: (n) => n.name },
    Driver: { header: 'DRIVER', text: (n) => n.driver },
    Scope: { header: 'SCOPE', text: (n) => n.scope },
    Subnet: { header: 'SUBNET', text: subnets },
    IPv6: { header: 'IPV6', text: (n) => String(n.ipv6) },
    Internal: { header: 'INTERNAL', text: (n) => String(n.internal) },
    Labels: {
      header: 'LABELS',
      text: (n) =>
        Object.entries(n.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    },
  },
  labels: (n) => n.labels,
}

export const networkCommands: Record<string, Command> = {
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
      const subnetList = (v.subnet as string[] | undefined) ?? []
      const gateways = (v.gateway as string[] | undefined) ?? []
      const ranges = (v['ip-range'] as string[] | undefined) ?? []
      if (gateways.length > subnetList.length || ranges.length > subnetList.length) {
        throw new CliError('--gateway and --ip-range need a --subnet each', 2)
      }
      const config = subnetList.map((subnet, i) => ({
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
    usage: 'dnet network ls [-f KEY=VALUE]... [--format TEMPLATE] [-q] [--json]',
    summary: 'List networks',
    options: {
      filter: { type: 'string', short: 'f', multiple: true },
      format: { type: 'string' },
      ...quiet,
      ...json,
    },
    async run(ep, io, v) {
      const keep = parseFilters(v.filter, networkList)
      const format =
        v.format === undefined ? undefined : parseFormat(v.format as string, networkList)
      const all = (await call(ep, 'GET', '/networks')) as NetworkView[]
      const list = all.filter(keep)
      if (format && !v.quiet && !v.json) return io.out(formatList(list, format))
      printList(
        io,
        v,
        list,
        (n) => n.id,
        () =>
          table(
            ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'SCOPE'],
            list.map((n) => [shortId(n.id), n.name, n.driver, subnets(n), n.scope]),
          ),
      )
    },
  },
  inspect: {
    usage: 'dnet network inspect NAME|ID...',
    summary: 'Show networks in detail (a JSON array)',
    options: {},
    async run(ep, io, _v, args) {
      const out: unknown[] = []
      try {
        await eachName(args, 'network', async (a) => {
          out.push(await call(ep, 'GET', `/networks/${enc(a)}`))
        })
      } finally {
        if (args.length > 0) io.out(JSON.stringify(out, null, 2) + '\n')
      }
    },
  },
  rm: {
    usage: 'dnet network rm NAME|ID...',
    summary: 'Remove networks',
    options: {},
    async run(ep, io, _v, args) {
      await eachName(args, 'network', async (a) => {
        await call(ep, 'DELETE', `/networks/${enc(a)}`)
        io.out(a + '\n')
      })
    },
  },
}

/** What the CLI's command modules share: the command shape, option sets and argument helpers. */
import type { ParseArgsConfig } from 'node:util'
import type { EndpointView, PortBinding } from '../backend.js'
import { CliError, type Endpoint } from './client.js'

export interface Io {
  out(text: string): void
}

type Options = NonNullable<ParseArgsConfig['options']>
export interface Command {
  usage: string
  summary: string
  options: Options
  run(ep: Endpoint, io: Io, values: Record<string, unknown>, args: string[]): Promise<void>
}

export const json = { json: { type: 'boolean' } } as const
export const quiet = { quiet: { type: 'boolean', short: 'q' } } as const

export const enc = encodeURIComponent

export function one(args: string[], what: string): string {
  if (args.length !== 1) throw new CliError(`expected exactly one ${what}, got ${args.length}`, 2)
  return args[0]!
}

/**
 * Run `each` for every name, as docker does for its multi-name commands: a failure is reported
 * and the next name still tried; the command fails (exit 1, every error printed) if any did.
 */
export async function eachName(
  args: string[],
  what: string,
  each: (name: string) => Promise<void>,
): Promise<void> {
  if (args.length === 0) throw new CliError(`expected at least one ${what}`, 2)
  const errors: string[] = []
  for (const a of args) {
    try {
      await each(a)
    } catch (e) {
      if (!(e instanceof CliError)) throw e
      errors.push(e.message)
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'))
}

/** `svc.net` → [svc, net]; the service name may itself contain dots, the network may not. */
export function serviceRef(text: string): [string, string] {
  const dot = text.lastIndexOf('.')
  if (dot <= 0 || dot === text.length - 1)
    throw new CliError(`expected SERVICE.NETWORK, got ${JSON.stringify(text)}`, 2)
  return [text.slice(0, dot), text.slice(dot + 1)]
}

export function keyValues(list: unknown, flag: string): Record<string, string> | undefined {
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

/**
 * `--add-host NAME:IP` split at the first colon, as docker does, so an IPv6 address keeps its
 * colons (`h:fd00::1`); `[fd00::1]` in brackets is accepted too.
 */
export function parseExtraHost(text: string): { name: string; address: string } {
  const i = text.indexOf(':')
  const address = i > 0 ? text.slice(i + 1).replace(/^\[(.*)\]$/, '$1') : ''
  if (i <= 0 || address === '')
    throw new CliError(`--add-host expects NAME:IP, got ${JSON.stringify(text)}`, 2)
  return { name: text.slice(0, i), address }
}

/**
 * The PORTS column: `HOST_IP:HOST_PORT->PORT/PROTO` once the host port is known (asked for, or
 * bound at attach); a port whose host port is chosen at attach shows as `PORT/PROTO` until then.
 */
export function ports(e: EndpointView): string {
  return e.portBindings
    .map((p) => {
      const target = `${p.port}/${p.protocol}`
      if (!p.hostPort) return target
      const ip = p.hostIp ?? '0.0.0.0'
      const host = `${ip.includes(':') ? `[${ip}]` : ip}:${p.hostPort}`
      const end = p.hostPortEnd && p.hostPortEnd !== p.hostPort ? `-${p.hostPortEnd}` : ''
      return `${host}${end}->${target}`
    })
    .join(', ')
}

export function printList<T>(
  io: Io,
  values: Record<string, unknown>,
  items: T[],
  id: (t: T) => string,
  render: () => string,
): void {
  if (values.json) io.out(JSON.stringify(items, null, 2) + '\n')
  else if (values.quiet) io.out(items.map((i) => id(i) + '\n').join(''))
  else io.out(render())
}

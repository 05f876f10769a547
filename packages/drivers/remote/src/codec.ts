/** Our driverapi values ⇄ the plugin protocol's JSON shapes. */
import { IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import type {
  BoundPort,
  EndpointInterface,
  EndpointOptions,
  ExposedPort,
  IpamData,
  JoinResult,
  Protocol,
  StaticRoute,
} from '@libnetwork/driverapi'
import {
  Label,
  Proto,
  type EndpointInterface as WireInterface,
  type IPAMData,
  type JoinResponse,
  type PortBinding as WirePortBinding,
  type TransportPort,
} from '@libnetwork/plugin-server'

/** Thrown by the decoders below; the driver turns it into `plugin-bad-response`. */
export class ShapeError extends Error {}

const PROTO: Record<Protocol, number> = { tcp: Proto.tcp, udp: Proto.udp, sctp: Proto.sctp }
const PROTO_NAME = new Map<number, Protocol>(
  Object.entries(PROTO).map(([k, v]) => [v, k as Protocol]),
)

export function encodeIpamData(d: IpamData, addressSpace: string): IPAMData {
  const out: IPAMData = { AddressSpace: addressSpace, Pool: d.pool.toString() }
  if (d.gateway) out.Gateway = d.gateway.toString()
  if (d.auxAddresses) {
    out.AuxAddresses = Object.fromEntries(
      Object.entries(d.auxAddresses).map(([k, ip]) => [k, `${ip.toString()}/${d.pool.prefix}`]),
    )
  }
  return out
}

/** Endpoint options as upstream puts them in `Options`: published and exposed ports. */
export function encodeEndpointOptions(o: EndpointOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (o.exposedPorts && o.exposedPorts.length > 0) {
    out[Label.exposedPorts] = o.exposedPorts.map((p): TransportPort => ({
      Proto: PROTO[p.protocol],
      Port: p.port,
    }))
  }
  if (o.portBindings && o.portBindings.length > 0) {
    out[Label.portMap] = o.portBindings.map((b): WirePortBinding => ({
      Proto: PROTO[b.protocol],
      IP: '',
      Port: b.port,
      HostIP: b.hostIP?.toString() ?? '',
      HostPort: b.hostPort ?? 0,
      HostPortEnd: b.hostPortEnd ?? b.hostPort ?? 0,
    }))
  }
  return out
}

/** Go sends every field, empty when unset. */
export function encodeInterface(i: EndpointInterface): Required<WireInterface> {
  return {
    Address: i.address?.toString() ?? '',
    AddressIPv6: i.addressIPv6?.toString() ?? '',
    MacAddress: i.mac ?? '',
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw new ShapeError(`${field} must be a string`)
  return v
}

function parseWith<T>(text: string, field: string, parse: (s: string) => T): T {
  try {
    return parse(text)
  } catch {
    throw new ShapeError(`${field} ${JSON.stringify(text)} is not valid`)
  }
}

/**
 * Merge the plugin's answer into the interface we sent. The plugin may fill in what was empty;
 * changing what was set is refused, as upstream does.
 */
export function mergeInterface(sent: EndpointInterface, answer: unknown): EndpointInterface {
  if (answer === undefined || answer === null) return { ...sent }
  if (typeof answer !== 'object' || Array.isArray(answer)) {
    throw new ShapeError('Interface must be an object')
  }
  const a = answer as Record<string, unknown>
  const out: EndpointInterface = { ...sent }
  const addr = str(a.Address, 'Interface.Address')
  if (addr !== '') {
    const v = parseWith(addr, 'Interface.Address', (s) => InterfaceAddress.parse(s))
    if (v.version !== 4) throw new ShapeError('Interface.Address must be IPv4')
    if (sent.address && !sent.address.equals(v)) {
      throw new ShapeError(`the plugin changed the address ${sent.address.toString()} to ${addr}`)
    }
    out.address = v
  }
  const addr6 = str(a.AddressIPv6, 'Interface.AddressIPv6')
  if (addr6 !== '') {
    const v = parseWith(addr6, 'Interface.AddressIPv6', (s) => InterfaceAddress.parse(s))
    if (v.version !== 6) throw new ShapeError('Interface.AddressIPv6 must be IPv6')
    if (sent.addressIPv6 && !sent.addressIPv6.equals(v)) {
      throw new ShapeError(
        `the plugin changed the address ${sent.addressIPv6.toString()} to ${addr6}`,
      )
    }
    out.addressIPv6 = v
  }
  const mac = str(a.MacAddress, 'Interface.MacAddress').toLowerCase()
  if (mac !== '') {
    if (!MAC.test(mac))
      throw new ShapeError(`Interface.MacAddress ${JSON.stringify(mac)} is not valid`)
    if (sent.mac && sent.mac.toLowerCase() !== mac) {
      throw new ShapeError(`the plugin changed the MAC address ${sent.mac} to ${mac}`)
    }
    out.mac = mac
  }
  return out
}

/** A Join answer as our JoinResult. */
export function decodeJoin(r: JoinResponse): JoinResult {
  const interfaces: JoinResult['interfaces'] = []
  if (r.InterfaceName !== undefined && r.InterfaceName !== null) {
    if (typeof r.InterfaceName !== 'object') throw new ShapeError('InterfaceName must be an object')
    const src = str(r.InterfaceName.SrcName, 'InterfaceName.SrcName')
    const prefix = str(r.InterfaceName.DstPrefix, 'InterfaceName.DstPrefix')
    if (src !== '') {
      if (prefix === '') throw new ShapeError('InterfaceName.DstPrefix is empty')
      interfaces.push({ srcName: src, dstPrefix: prefix })
    }
  }
  const result: JoinResult = {
    interfaces,
    staticRoutes: [],
    disableGatewayService: r.DisableGatewayService === true,
  }
  const gw = str(r.Gateway, 'Gateway')
  if (gw !== '') result.gateway = parseWith(gw, 'Gateway', (s) => IP.parse(s))
  const gw6 = str(r.GatewayIPv6, 'GatewayIPv6')
  if (gw6 !== '') result.gatewayIPv6 = parseWith(gw6, 'GatewayIPv6', (s) => IP.parse(s))
  const routes: unknown = r.StaticRoutes ?? []
  if (!Array.isArray(routes)) throw new ShapeError('StaticRoutes must be a list')
  for (const [i, raw] of routes.entries()) {
    const route = (raw ?? {}) as Record<string, unknown>
    const field = `StaticRoutes[${i}]`
    const dest = parseWith(str(route.Destination, field), `${field}.Destination`, (s) =>
      IPNet.parse(s, { strict: false }),
    )
    const type = route.RouteType ?? 0
    if (type !== 0 && type !== 1) throw new ShapeError(`${field}.RouteType must be 0 or 1`)
    const out: StaticRoute = { destination: dest, routeType: type === 0 ? 'nexthop' : 'connected' }
    const hop = str(route.NextHop, `${field}.NextHop`)
    if (hop !== '') out.nextHop = parseWith(hop, `${field}.NextHop`, (s) => IP.parse(s))
    if (out.routeType === 'nexthop' && !out.nextHop) {
      throw new ShapeError(`${field} is a next-hop route without NextHop`)
    }
    result.staticRoutes.push(out)
  }
  return result
}

/** EndpointOperInfo's `Value`, with the well-known port lists read into our shapes. */
export function decodeOperInfo(value: unknown): {
  portBindings: BoundPort[]
  exposedPorts: ExposedPort[]
  [key: string]: unknown
} {
  const v =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  const portBindings: BoundPort[] = []
  for (const b of Array.isArray(v[Label.portMap]) ? (v[Label.portMap] as unknown[]) : []) {
    const p = b as Partial<WirePortBinding>
    const protocol = PROTO_NAME.get(Number(p.Proto))
    if (!protocol || typeof p.Port !== 'number' || typeof p.HostPort !== 'number') continue
    const hostIP = typeof p.HostIP === 'string' && IP.isValid(p.HostIP) ? p.HostIP : '0.0.0.0'
    if (typeof p.IP !== 'string' || !IP.isValid(p.IP)) continue
    portBindings.push({
      protocol,
      port: p.Port,
      hostIP: IP.parse(hostIP),
      hostPort: p.HostPort,
      containerIP: IP.parse(p.IP),
    })
  }
  const exposedPorts: ExposedPort[] = []
  for (const e of Array.isArray(v[Label.exposedPorts])
    ? (v[Label.exposedPorts] as unknown[])
    : []) {
    const p = e as Partial<TransportPort>
    const protocol = PROTO_NAME.get(Number(p.Proto))
    if (protocol && typeof p.Port === 'number') exposedPorts.push({ protocol, port: p.Port })
  }
  const mac = v[Label.macAddress]
  return {
    ...v,
    ...(typeof mac === 'string' ? { mac } : {}),
    portBindings,
    exposedPorts,
  }
}

import assert from 'node:assert/strict'
import { IP, IPNet, LibnetworkError, type ErrorCategory } from '@libnetwork/types'
import type { BoundPort, EndpointOperInfo, JoinResult, RestoreReport } from '../driver.js'

/** Await `p` and check it rejected with a libnetwork error of `category`; returns the error. */
export async function rejectsWith(
  p: Promise<unknown>,
  category: ErrorCategory,
  what: string,
): Promise<LibnetworkError> {
  const outcome = await p.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  )
  assert.ok(!outcome.ok, `${what}: expected a ${category} error, but it succeeded`)
  const err = outcome.err
  assert.ok(
    LibnetworkError.isInstance(err),
    `${what}: expected a LibnetworkError (${category}), got ${String(err)}`,
  )
  assert.equal(err.category, category, `${what}: category of "${err.message}"`)
  assert.ok(typeof err.code === 'string' && err.code.length > 0, `${what}: a stable code`)
  assert.ok(err.message.length > 0, `${what}: a message`)
  return err
}

/** Check a synchronous call throws a libnetwork error of `category`. */
export function throwsWith(fn: () => unknown, category: ErrorCategory, what: string): void {
  let thrown: unknown
  let threw = false
  try {
    fn()
  } catch (err) {
    thrown = err
    threw = true
  }
  assert.ok(threw, `${what}: expected a ${category} error, but it returned`)
  assert.ok(LibnetworkError.isInstance(thrown), `${what}: expected a LibnetworkError`)
  assert.equal(thrown.category, category, `${what}: category of "${thrown.message}"`)
}

/** Await `p` and check it rejected with exactly `reason` (an aborted signal's reason). */
export async function rejectsWithReason(
  p: Promise<unknown>,
  reason: unknown,
  what: string,
): Promise<void> {
  const outcome = await p.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  )
  assert.ok(!outcome.ok, `${what}: an aborted signal must reject, but it succeeded`)
  assert.equal(outcome.err, reason, `${what}: rejects with the signal's reason`)
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

function isIP(v: unknown): boolean {
  return v instanceof IP || (typeof v === 'object' && v !== null && v.constructor?.name === 'IP')
}

function isIPNet(v: unknown): boolean {
  return (
    v instanceof IPNet || (typeof v === 'object' && v !== null && v.constructor?.name === 'IPNet')
  )
}

/** A join result as the contract describes it. */
export function checkJoinResult(r: JoinResult, what = 'join result'): void {
  assert.ok(Array.isArray(r.interfaces), `${what}: interfaces is an array`)
  for (const i of r.interfaces) {
    assert.ok(typeof i.srcName === 'string' && i.srcName.length > 0, `${what}: srcName`)
    assert.ok(typeof i.dstPrefix === 'string' && i.dstPrefix.length > 0, `${what}: dstPrefix`)
    assert.ok(i.inSandbox === undefined || typeof i.inSandbox === 'boolean', `${what}: inSandbox`)
  }
  assert.ok(r.gateway === undefined || isIP(r.gateway), `${what}: gateway is an IP`)
  assert.ok(r.gatewayIPv6 === undefined || isIP(r.gatewayIPv6), `${what}: gatewayIPv6 is an IP`)
  if (r.gateway !== undefined) assert.equal(r.gateway.version, 4, `${what}: gateway is IPv4`)
  if (r.gatewayIPv6 !== undefined)
    assert.equal(r.gatewayIPv6.version, 6, `${what}: gatewayIPv6 is IPv6`)
  assert.ok(Array.isArray(r.staticRoutes), `${what}: staticRoutes is an array`)
  for (const s of r.staticRoutes) {
    assert.ok(isIPNet(s.destination), `${what}: route destination is an IPNet`)
    assert.ok(['nexthop', 'connected'].includes(s.routeType), `${what}: routeType`)
    if (s.routeType === 'nexthop') assert.ok(isIP(s.nextHop), `${what}: nexthop route has nextHop`)
  }
  assert.equal(typeof r.disableGatewayService, 'boolean', `${what}: disableGatewayService`)
}

/** A port as programmed: every field resolved. */
export function checkBoundPort(p: BoundPort, what = 'bound port'): void {
  assert.ok(['tcp', 'udp', 'sctp'].includes(p.protocol), `${what}: protocol`)
  for (const [k, v] of [
    ['port', p.port],
    ['hostPort', p.hostPort],
  ] as const) {
    assert.ok(Number.isInteger(v) && v >= 1 && v <= 65535, `${what}: ${k} ${String(v)}`)
  }
  assert.ok(isIP(p.hostIP), `${what}: hostIP is an IP`)
  assert.ok(isIP(p.containerIP), `${what}: containerIP is an IP`)
}

/** Endpoint facts for users. */
export function checkOperInfo(info: EndpointOperInfo, what = 'endpointOperInfo'): void {
  assert.ok(Array.isArray(info.portBindings), `${what}: portBindings is an array`)
  for (const p of info.portBindings) checkBoundPort(p, `${what}: portBindings`)
  assert.ok(Array.isArray(info.exposedPorts), `${what}: exposedPorts is an array`)
  assert.ok(info.mac === undefined || MAC.test(info.mac), `${what}: mac ${String(info.mac)}`)
}

/** What restore answers. */
export function checkReport(r: RestoreReport, what = 'restore report'): void {
  assert.ok(Array.isArray(r.removed), `${what}: removed is an array`)
  assert.ok(Array.isArray(r.recreated), `${what}: recreated is an array`)
  for (const s of [...r.removed, ...r.recreated])
    assert.equal(typeof s, 'string', `${what}: entries are texts`)
}

/** Ports as comparable text. */
export function portsText(ports: readonly BoundPort[]): string[] {
  return ports
    .map(
      (p) =>
        `${p.protocol}/${p.port} ${p.hostIP.toString()}:${p.hostPort} -> ${p.containerIP.toString()}`,
    )
    .sort()
}

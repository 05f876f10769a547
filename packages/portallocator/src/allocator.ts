import { readFileSync } from 'node:fs'
import {
  BadRequestError,
  ConflictError,
  IP,
  NotFoundError,
  PROTOCOLS,
  UnavailableError,
  type PortRange,
  type Protocol,
} from '@libnetwork/types'

/** The range Docker falls back to when the kernel's range cannot be read. */
export const DEFAULT_DYNAMIC_RANGE: Readonly<PortRange> = Object.freeze({
  start: 49153,
  end: 65535,
})

/** Where Linux keeps the ephemeral port range. */
export const PORT_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range'

export interface PortAllocatorOptions {
  /** Use this dynamic range instead of reading the kernel's (tests, custom set-ups). */
  range?: PortRange
  /** Read the range from this file instead of /proc (tests). */
  rangeFile?: string
}

/** One allocated port. */
export interface Allocation {
  ip: IP
  protocol: Protocol
  port: number
}

const PORTS = 65536
const V4_ANY = IP.parse('0.0.0.0')
const V6_ANY = IP.parse('::')

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}

function checkRange(start: number, end: number, what: string): void {
  if (!isPort(start) || !isPort(end) || start > end) {
    throw new BadRequestError(
      'invalid-port-range',
      `invalid ${what} ${String(start)}-${String(end)}: ports must be integers in 1-65535 and start <= end`,
      { details: { start, end } },
    )
  }
}

/**
 * Read the kernel's ephemeral port range ("32768\t60999"). Falls back to
 * {@link DEFAULT_DYNAMIC_RANGE} when the file is missing or malformed, as Docker does.
 */
export function readDynamicRange(file: string = PORT_RANGE_FILE): PortRange {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return { ...DEFAULT_DYNAMIC_RANGE }
  }
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text)
  if (!m) return { ...DEFAULT_DYNAMIC_RANGE }
  const start = Number(m[1])
  const end = Number(m[2])
  if (!isPort(start) || !isPort(end) || start > end) return { ...DEFAULT_DYNAMIC_RANGE }
  return { start, end }
}

/**
 * State of one (address family, protocol): a bitmap for the unspecified address, one bitmap per
 * specific address, and per port the number of specific addresses holding it, so a conflict
 * check in either direction is two array reads.
 */
class ProtoState {
  readonly any = new Uint8Array(PORTS)
  readonly counts = new Uint32Array(PORTS)
  readonly specific = new Map<bigint, Uint8Array>()
  /** Last port handed out per searched range, keyed start * 65536 + end. */
  readonly cursors = new Map<number, number>()

  isFree(ip: IP, port: number): boolean {
    if (this.any[port] !== 0) return false
    if (ip.isUnspecified()) return this.counts[port] === 0
    const map = this.specific.get(ip.value)
    return map === undefined || map[port] === 0
  }
}

function protocolOf(protocol: unknown): Protocol {
  if (protocol === 'tcp' || protocol === 'udp' || protocol === 'sctp') return protocol
  throw new BadRequestError(
    'unknown-protocol',
    `unknown protocol ${JSON.stringify(protocol)}: expected tcp, udp or sctp`,
    { details: { protocol: String(protocol) } },
  )
}

function ipOf(ip: IP | undefined): IP {
  if (ip === undefined) return V4_ANY
  if (!(ip instanceof IP)) {
    throw new BadRequestError('invalid-ip', 'host IP must be an IP value (IP.parse)', {
      details: { ip: String(ip) },
    })
  }
  return ip
}

/**
 * Allocates host ports per host IP and protocol.
 *
 * A port taken on the unspecified address (0.0.0.0 or ::) conflicts with the same port on any
 * specific address of that family, and the other way round, as binding sockets does. IPv4 and
 * IPv6 are allocated independently.
 */
export class PortAllocator {
  /** The range "any port" requests draw from. */
  readonly dynamicRange: Readonly<PortRange>
  readonly #families: [Map<Protocol, ProtoState>, Map<Protocol, ProtoState>] = [
    new Map<Protocol, ProtoState>(),
    new Map<Protocol, ProtoState>(),
  ]

  constructor(options: PortAllocatorOptions = {}) {
    let range: PortRange
    if (options.range !== undefined) {
      checkRange(options.range.start, options.range.end, 'dynamic port range')
      range = { start: options.range.start, end: options.range.end }
    } else {
      range = readDynamicRange(options.rangeFile)
    }
    this.dynamicRange = Object.freeze(range)
  }

  #state(ip: IP, protocol: Protocol): ProtoState {
    const family = this.#families[ip.version === 4 ? 0 : 1]
    let state = family.get(protocol)
    if (state === undefined) {
      state = new ProtoState()
      family.set(protocol, state)
    }
    return state
  }

  /**
   * Allocate `port` on `ip` for `protocol`, or any free port of the dynamic range when `port`
   * is 0 or omitted. `ip` defaults to 0.0.0.0. Returns the port.
   */
  requestPort(ip: IP | undefined, protocol: Protocol, port = 0): number {
    if (port === 0) return this.requestPortInRange(ip, protocol, 0, 0)
    return this.requestPortInRange(ip, protocol, port, port)
  }

  /**
   * Allocate a free port in [start, end] (round-robin after the last one handed out from that
   * range); start = end = 0 means the dynamic range, start = end means exactly that port.
   */
  requestPortInRange(ip: IP | undefined, protocol: Protocol, start: number, end: number): number {
    const host = ipOf(ip)
    const proto = protocolOf(protocol)
    if (start === 0 && end === 0) {
      start = this.dynamicRange.start
      end = this.dynamicRange.end
    } else {
      checkRange(start, end, 'port range')
    }
    const state = this.#state(host, proto)
    if (start === end) {
      if (!state.isFree(host, start)) throw this.#taken(host, proto, start)
      this.#mark(state, host, start)
      return start
    }
    const key = start * PORTS + end
    const last = state.cursors.get(key) ?? end
    let port = last
    for (let i = start; i <= end; i++) {
      port = port >= end ? start : port + 1
      if (state.isFree(host, port)) {
        this.#mark(state, host, port)
        state.cursors.set(key, port)
        return port
      }
    }
    throw new UnavailableError(
      'ports-exhausted',
      `all ports ${start}-${end} are allocated for ${proto} on ${host.toString()}`,
      { details: { ip: host.toString(), protocol: proto, start, end } },
    )
  }

  /** Release a port. Throws NotFoundError if it is not allocated on exactly this ip. */
  releasePort(ip: IP | undefined, protocol: Protocol, port: number): void {
    const host = ipOf(ip)
    const proto = protocolOf(protocol)
    if (!isPort(port)) checkRange(port, port, 'port')
    const state = this.#state(host, proto)
    if (host.isUnspecified()) {
      if (state.any[port] === 0) throw this.#notAllocated(host, proto, port)
      state.any[port] = 0
      return
    }
    const map = state.specific.get(host.value)
    if (map === undefined || map[port] === 0) throw this.#notAllocated(host, proto, port)
    map[port] = 0
    state.counts[port]!--
  }

  /** True when `port` is allocated on exactly `ip` (not counting conflicts through 0.0.0.0). */
  isAllocated(ip: IP | undefined, protocol: Protocol, port: number): boolean {
    const host = ipOf(ip)
    const proto = protocolOf(protocol)
    if (!isPort(port)) checkRange(port, port, 'port')
    const state = this.#state(host, proto)
    if (host.isUnspecified()) return state.any[port] !== 0
    return state.specific.get(host.value)?.[port] === 1
  }

  /** True when `port` could be allocated on `ip` now. */
  isFree(ip: IP | undefined, protocol: Protocol, port: number): boolean {
    const host = ipOf(ip)
    const proto = protocolOf(protocol)
    if (!isPort(port)) checkRange(port, port, 'port')
    return this.#state(host, proto).isFree(host, port)
  }

  /** Every allocated port, sorted by family, protocol, address and port. */
  allocations(): Allocation[] {
    const out: Allocation[] = []
    for (const [index, family] of this.#families.entries()) {
      const anyIP = index === 0 ? V4_ANY : V6_ANY
      for (const protocol of PROTOCOLS) {
        const state = family.get(protocol)
        if (state === undefined) continue
        const maps: [IP, Uint8Array][] = [[anyIP, state.any]]
        const keys = [...state.specific.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        for (const k of keys) {
          maps.push([IP.fromBigInt(k, index === 0 ? 4 : 6), state.specific.get(k)!])
        }
        for (const [ip, map] of maps) {
          for (let p = 1; p < PORTS; p++) if (map[p] !== 0) out.push({ ip, protocol, port: p })
        }
      }
    }
    return out
  }

  /** Release everything (a fresh start). */
  releaseAll(): void {
    this.#families[0].clear()
    this.#families[1].clear()
  }

  #mark(state: ProtoState, ip: IP, port: number): void {
    if (ip.isUnspecified()) {
      state.any[port] = 1
      return
    }
    let map = state.specific.get(ip.value)
    if (map === undefined) {
      map = new Uint8Array(PORTS)
      state.specific.set(ip.value, map)
    }
    map[port] = 1
    state.counts[port]!++
  }

  #taken(ip: IP, protocol: Protocol, port: number): ConflictError {
    return new ConflictError(
      'port-already-allocated',
      `Bind for ${ip.version === 6 ? `[${ip.toString()}]` : ip.toString()}:${port}/${protocol} failed: port is already allocated`,
      { details: { ip: ip.toString(), port, protocol } },
    )
  }

  #notAllocated(ip: IP, protocol: Protocol, port: number): NotFoundError {
    return new NotFoundError(
      'port-not-allocated',
      `port ${port}/${protocol} is not allocated on ${ip.toString()}`,
      { details: { ip: ip.toString(), port, protocol } },
    )
  }
}

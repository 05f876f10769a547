/**
 * IP address and network value types, built on the `ip-address` package.
 *
 * Values are immutable and compare by `version` and numeric `value`. Packages pass these
 * around instead of strings; strings are parsed once, at the edge, with a typed error.
 */
import { Address6 } from 'ip-address'
import { BadRequestError } from './errors.js'

export type IPVersion = 4 | 6

const V4_BITS = 32
const V6_BITS = 128
const V4_MAX = (1n << 32n) - 1n
const V6_MAX = (1n << 128n) - 1n

function bitsOf(version: IPVersion): number {
  return version === 4 ? V4_BITS : V6_BITS
}

function parseV4Fast(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    value = (value << 8n) | BigInt(n)
  }
  return value
}

/** A single IPv4 or IPv6 address. */
export class IP {
  readonly version: IPVersion
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint

  private constructor(version: IPVersion, value: bigint) {
    this.version = version
    this.value = value
  }

  /** Parse dotted-quad IPv4 or any RFC 4291 IPv6 text form. Throws BadRequestError. */
  static parse(text: string): IP {
    if (typeof text !== 'string') {
      throw new BadRequestError(
        'invalid-ip',
        `invalid IP address: expected a string, got ${typeof text}`,
      )
    }
    const v4 = parseV4Fast(text)
    if (v4 !== undefined) return new IP(4, v4)
    if (
      text.includes(':') &&
      !text.includes('/') &&
      !text.includes('%') &&
      Address6.isValid(text)
    ) {
      return new IP(6, new Address6(text).bigInt())
    }
    throw new BadRequestError('invalid-ip', `invalid IP address ${JSON.stringify(text)}`, {
      details: { value: text },
    })
  }

  /** True when `text` is an IP address this class accepts. */
  static isValid(text: string): boolean {
    try {
      IP.parse(text)
      return true
    } catch {
      return false
    }
  }

  static fromBigInt(value: bigint, version: IPVersion): IP {
    const max = version === 4 ? V4_MAX : V6_MAX
    if (value < 0n || value > max) {
      throw new BadRequestError('invalid-ip', `value ${value} is out of range for IPv${version}`)
    }
    return new IP(version, value)
  }

  /** IPv4 only: build from a 32-bit unsigned number. */
  static fromV4Number(value: number): IP {
    return IP.fromBigInt(BigInt(value), 4)
  }

  /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
  static fromBytes(bytes: Uint8Array): IP {
    if (bytes.length !== 4 && bytes.length !== 16) {
      throw new BadRequestError(
        'invalid-ip',
        `an IP address has 4 or 16 bytes, got ${bytes.length}`,
      )
    }
    let value = 0n
    for (const b of bytes) value = (value << 8n) | BigInt(b)
    return new IP(bytes.length === 4 ? 4 : 6, value)
  }

  get bits(): number {
    return bitsOf(this.version)
  }

  /** IPv4 only: the address as a 32-bit unsigned number. */
  toV4Number(): number {
    if (this.version !== 4) throw new BadRequestError('not-ipv4', `${this.toString()} is not IPv4`)
    return Number(this.value)
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.version === 4 ? 4 : 16)
    let v = this.value
    for (let i = out.length - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn)
      v >>= 8n
    }
    return out
  }

  /** The address `delta` positions further (negative goes back). Throws past the end of the space. */
  add(delta: bigint | number): IP {
    return IP.fromBigInt(this.value + BigInt(delta), this.version)
  }

  equals(other: IP): boolean {
    return this.version === other.version && this.value === other.value
  }

  compare(other: IP): number {
    if (this.version !== other.version) return this.version - other.version
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0
  }

  isLoopback(): boolean {
    return this.version === 4 ? this.value >> 24n === 127n : this.value === 1n
  }

  isUnspecified(): boolean {
    return this.value === 0n
  }

  toString(): string {
    if (this.version === 4) {
      const v = Number(this.value)
      return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
    }
    return Address6.fromBigInt(this.value).correctForm()
  }

  toJSON(): string {
    return this.toString()
  }
}

function prefixMask(version: IPVersion, prefix: number): bigint {
  const bits = bitsOf(version)
  const all = version === 4 ? V4_MAX : V6_MAX
  return (all >> BigInt(bits - prefix)) << BigInt(bits - prefix)
}

function parsePrefix(text: string, version: IPVersion, whole: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) {
    throw new BadRequestError(
      'invalid-cidr',
      `invalid CIDR ${JSON.stringify(whole)}: bad prefix length`,
      {
        details: { value: whole },
      },
    )
  }
  const prefix = Number(text)
  if (prefix > bitsOf(version)) {
    throw new BadRequestError(
      'invalid-cidr',
      `invalid CIDR ${JSON.stringify(whole)}: prefix /${prefix} is longer than ${bitsOf(version)} bits`,
      { details: { value: whole } },
    )
  }
  return prefix
}

function splitCIDR(text: string): { ip: IP; prefix: number } {
  if (typeof text !== 'string') {
    throw new BadRequestError('invalid-cidr', `invalid CIDR: expected a string, got ${typeof text}`)
  }
  const slash = text.indexOf('/')
  if (slash < 0) {
    throw new BadRequestError(
      'invalid-cidr',
      `invalid CIDR ${JSON.stringify(text)}: missing /prefix`,
      {
        details: { value: text },
      },
    )
  }
  let ip: IP
  try {
    ip = IP.parse(text.slice(0, slash))
  } catch (cause) {
    throw new BadRequestError('invalid-cidr', `invalid CIDR ${JSON.stringify(text)}: bad address`, {
      details: { value: text },
      cause,
    })
  }
  return { ip, prefix: parsePrefix(text.slice(slash + 1), ip.version, text) }
}

/** An IP network: a base address with its host bits zero, and a prefix length. */
export class IPNet {
  readonly version: IPVersion
  readonly prefix: number
  /** The network address (host bits zero) as an integer. */
  readonly base: bigint

  private constructor(version: IPVersion, base: bigint, prefix: number) {
    this.version = version
    this.base = base
    this.prefix = prefix
  }

  /**
   * Parse `a.b.c.d/n` or `x::/n`. With `strict` (the default) host bits must be zero;
   * without it they are cleared, as Go's net.ParseCIDR does for the network part.
   */
  static parse(text: string, options: { strict?: boolean } = {}): IPNet {
    const { ip, prefix } = splitCIDR(text)
    const mask = prefixMask(ip.version, prefix)
    const base = ip.value & mask
    if ((options.strict ?? true) && base !== ip.value) {
      throw new BadRequestError(
        'invalid-cidr',
        `invalid CIDR ${JSON.stringify(text)}: host bits are set (did you mean ${IP.fromBigInt(base, ip.version).toString()}/${prefix}?)`,
        { details: { value: text } },
      )
    }
    return new IPNet(ip.version, base, prefix)
  }

  static of(ip: IP, prefix: number): IPNet {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > ip.bits) {
      throw new BadRequestError(
        'invalid-cidr',
        `prefix /${prefix} is not valid for IPv${ip.version}`,
      )
    }
    return new IPNet(ip.version, ip.value & prefixMask(ip.version, prefix), prefix)
  }

  static isValid(text: string): boolean {
    try {
      IPNet.parse(text)
      return true
    } catch {
      return false
    }
  }

  get bits(): number {
    return bitsOf(this.version)
  }

  get hostBits(): number {
    return this.bits - this.prefix
  }

  /** Number of addresses in the network, 2^(bits - prefix). */
  get size(): bigint {
    return 1n << BigInt(this.hostBits)
  }

  get mask(): bigint {
    return prefixMask(this.version, this.prefix)
  }

  /** The network address. */
  get ip(): IP {
    return IP.fromBigInt(this.base, this.version)
  }

  /** The last address (the IPv4 broadcast address). */
  get last(): IP {
    return IP.fromBigInt(this.base + this.size - 1n, this.version)
  }

  /** The mask in dotted (IPv4) or colon (IPv6) form. */
  get maskIP(): IP {
    return IP.fromBigInt(this.mask, this.version)
  }

  /** The address at `offset` from the network address. Throws outside the network. */
  at(offset: bigint | number): IP {
    const o = BigInt(offset)
    if (o < 0n || o >= this.size) {
      throw new BadRequestError('out-of-range', `offset ${o} is outside ${this.toString()}`)
    }
    return IP.fromBigInt(this.base + o, this.version)
  }

  /** Offset of `ip` from the network address. Throws if `ip` is outside. */
  offsetOf(ip: IP): bigint {
    if (!this.contains(ip)) {
      throw new BadRequestError('out-of-range', `${ip.toString()} is outside ${this.toString()}`)
    }
    return ip.value - this.base
  }

  contains(ip: IP): boolean {
    return ip.version === this.version && (ip.value & this.mask) === this.base
  }

  /** True when `other` lies wholly inside this network. */
  containsNet(other: IPNet): boolean {
    return other.version === this.version && other.prefix >= this.prefix && this.contains(other.ip)
  }

  /** True when the two networks share at least one address. */
  overlaps(other: IPNet): boolean {
    if (other.version !== this.version) return false
    return this.containsNet(other) || other.containsNet(this)
  }

  /** Split into subnets of `prefix` bits, in order. */
  *subnets(prefix: number): Generator<IPNet> {
    if (prefix < this.prefix || prefix > this.bits) {
      throw new BadRequestError('invalid-cidr', `cannot split ${this.toString()} into /${prefix}`)
    }
    const step = 1n << BigInt(this.bits - prefix)
    for (let b = this.base; b < this.base + this.size; b += step)
      yield new IPNet(this.version, b, prefix)
  }

  equals(other: IPNet): boolean {
    return (
      this.version === other.version && this.base === other.base && this.prefix === other.prefix
    )
  }

  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`
  }

  toJSON(): string {
    return this.toString()
  }
}

/** An address with the prefix length of its network, as configured on an interface (`172.17.0.2/16`). */
export class InterfaceAddress {
  readonly ip: IP
  readonly prefix: number

  private constructor(ip: IP, prefix: number) {
    this.ip = ip
    this.prefix = prefix
  }

  static parse(text: string): InterfaceAddress {
    const { ip, prefix } = splitCIDR(text)
    return new InterfaceAddress(ip, prefix)
  }

  static of(ip: IP, prefix: number): InterfaceAddress {
    IPNet.of(ip, prefix)
    return new InterfaceAddress(ip, prefix)
  }

  get version(): IPVersion {
    return this.ip.version
  }

  get network(): IPNet {
    return IPNet.of(this.ip, this.prefix)
  }

  equals(other: InterfaceAddress): boolean {
    return this.ip.equals(other.ip) && this.prefix === other.prefix
  }

  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`
  }

  toJSON(): string {
    return this.toString()
  }
}

/** MAC (link-layer) addresses as lower-case `aa:bb:cc:dd:ee:ff` strings. */
import { BadRequestError } from '@libnetwork/types'

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

/** Parse a 6-byte MAC address. Throws BadRequestError. */
export function parseMAC(text: string): Buffer {
  if (typeof text !== 'string' || !MAC_RE.test(text)) {
    throw new BadRequestError('invalid-mac', `invalid MAC address ${JSON.stringify(text)}`, {
      details: { value: text },
    })
  }
  return Buffer.from(text.replace(/:/g, ''), 'hex')
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

export function formatMAC(bytes: Uint8Array): string {
  let out = HEX[bytes[0] ?? 0]!
  for (let i = 1; i < bytes.length; i++) out += ':' + HEX[bytes[i]!]!
  return out
}

/** A random locally administered unicast MAC address. */
export function randomMAC(): string {
  const b = new Uint8Array(6)
  crypto.getRandomValues(b)
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02
  return formatMAC(b)
}

import { BadRequestError } from '@libnetwork/types'

/**
 * A datagram or stream that does not decode: malformed msgpack, unknown message type, bad CRC,
 * failed decryption, oversized frame. `code` names the failure (`msgpack-type`, `crc`, ...).
 */
export class WireError extends BadRequestError {
  static override name = 'WireError'
  constructor(reason: string, message: string, details: Record<string, unknown> = {}) {
    super(`gossip-wire-${reason}`, message, { details: { reason, ...details } })
  }
}

/** Thrown while parsing a stream that has not yet received enough bytes. */
export class IncompleteError extends WireError {
  static override name = 'IncompleteError'
  constructor(readonly missing: number) {
    super('incomplete', `message is truncated: ${missing} more bytes needed`, { missing })
  }
}

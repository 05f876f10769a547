import { BadRequestError, PROTOCOLS as PROTOCOL_LIST, type PortBinding } from '@libnetwork/types'

const PROTOCOLS = new Set<string>(PROTOCOL_LIST)

function checkPort(value: unknown, field: string, allowZero: boolean): void {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < (allowZero ? 0 : 1) ||
    value > 65535
  ) {
    throw new BadRequestError(
      'invalid-port',
      `${field} must be an integer port, got ${String(value)}`,
      {
        details: { field, value: String(value) },
      },
    )
  }
}

/** Throw a BadRequestError unless `b` is a well-formed port binding. */
export function checkPortBinding(b: PortBinding): void {
  if (!PROTOCOLS.has(b.protocol)) {
    throw new BadRequestError('invalid-protocol', `unknown protocol ${String(b.protocol)}`, {
      details: { protocol: String(b.protocol) },
    })
  }
  checkPort(b.port, 'port', false)
  if (b.hostPort !== undefined) checkPort(b.hostPort, 'hostPort', true)
  if (b.hostPortEnd !== undefined) {
    checkPort(b.hostPortEnd, 'hostPortEnd', false)
    if ((b.hostPort ?? 0) === 0 || b.hostPortEnd < (b.hostPort ?? 0)) {
      throw new BadRequestError('invalid-port-range', 'hostPortEnd needs a hostPort not above it', {
        details: { hostPort: b.hostPort ?? 0, hostPortEnd: b.hostPortEnd },
      })
    }
  }
}

/** A stable text key of a binding, for sets and logs: `tcp/80->0.0.0.0:8080`. */
export function portBindingKey(b: PortBinding): string {
  const range = b.hostPortEnd !== undefined ? `-${b.hostPortEnd}` : ''
  return `${b.protocol}/${b.port}->${b.hostIP?.toString() ?? '0.0.0.0'}:${b.hostPort ?? 0}${range}`
}

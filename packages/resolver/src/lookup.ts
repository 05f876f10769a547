import { isIP } from 'node:net'

/**
 * Every address we send to is an IP literal: answer dgram's lookup at once instead of going
 * through dns.lookup and a tick per packet.
 */
export function literalLookup(
  address: string,
  _options: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(address)
  if (family === 0)
    callback(
      Object.assign(new Error(`not an IP address: ${address}`), { code: 'EINVAL' }),
      address,
      0,
    )
  else callback(null, address, family)
}

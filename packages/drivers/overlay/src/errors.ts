import { NotImplementedError } from '@libnetwork/types'

/**
 * An encrypted overlay network needs IPsec ESP (AES-GCM) in the kernel, and this kernel has
 * none. Nothing was created: the driver never falls back to plain traffic.
 */
export class EncryptionUnsupportedError extends NotImplementedError {
  static override name = 'EncryptionUnsupportedError'
  constructor(networkId: string) {
    super(
      'overlay-encryption-unsupported',
      `network ${networkId} is encrypted, which needs IPsec ESP (xfrm "esp", CONFIG_INET_ESP / module esp4) with rfc4106(gcm(aes)), and this kernel has no ESP support`,
      { details: { networkId, kernelConfig: 'CONFIG_INET_ESP', module: 'esp4' } },
    )
  }
}

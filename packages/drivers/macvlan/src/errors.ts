import { NotImplementedError } from '@libnetwork/types'

/** What each link kind the driver may need is called in the kernel's configuration. */
const KERNEL_CONFIG = {
  vlan: { what: '802.1Q VLAN sub-interfaces', config: 'CONFIG_VLAN_8021Q (module 8021q)' },
  dummy: { what: 'dummy links', config: 'CONFIG_DUMMY (module dummy)' },
} as const

/**
 * The network needs a link kind this kernel lacks (an 802.1Q parent such as `eth0.10`, or no
 * parent at all, which asks for a dummy one). Nothing was created.
 */
export class KernelSupportError extends NotImplementedError {
  static override name = 'KernelSupportError'
  constructor(
    kind: keyof typeof KERNEL_CONFIG,
    why: string,
    details: Record<string, unknown> = {},
  ) {
    const k = KERNEL_CONFIG[kind]
    super(
      'macvlan-kernel-unsupported',
      `${why} needs ${k.what}, and this kernel has no ${kind} link support (${k.config})`,
      { details: { linkKind: kind, kernelConfig: k.config, ...details } },
    )
  }
}

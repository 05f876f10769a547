/**
 * Does this kernel have a link kind? Asked by creating one for real inside a throwaway,
 * anonymous network namespace: no name, no file, nothing left once the probe returns.
 */
import { closeSync, openSync } from 'node:fs'
import { InternalError, NotImplementedError } from '@libnetwork/types'
import { CLONE_NEWNET } from './constants.js'
import { errnoError } from './errors.js'
import { libc } from './ffi.js'
import { Netlink, type LinkSpec } from './handle.js'
import { LINK_KINDS, type LinkKind } from './link.js'
import { checkEnum } from './validate.js'

const THREAD_NS = '/proc/thread-self/ns/net'

/**
 * A new network namespace that only an fd holds: `unshare` on this thread, open the new
 * namespace, switch back, all synchronously. The namespace dies with its last reference.
 */
function anonymousNetns(): number {
  const c = libc()
  const orig = openSync(THREAD_NS, 'r')
  let created: number | undefined
  let restored = true
  try {
    if (c.unshare(CLONE_NEWNET) !== 0)
      throw errnoError(c.errno(), 'cannot create a namespace to probe link kinds in')
    try {
      created = openSync(THREAD_NS, 'r')
    } finally {
      restored = c.setns(orig, CLONE_NEWNET) === 0
    }
  } finally {
    closeSync(orig)
  }
  if (!restored) {
    // The thread is stranded in a foreign namespace: nothing it does afterwards is safe.
    if (created !== undefined) closeSync(created)
    throw new InternalError(
      'netns-restore-failed',
      `cannot return the thread to its network namespace (errno ${c.errno()})`,
    )
  }
  return created
}

function probeSpec(kind: LinkKind): LinkSpec {
  switch (kind) {
    case 'bridge':
    case 'dummy':
      return { kind, name: 'probe' }
    case 'veth':
      return { kind, name: 'probe', peer: { name: 'probe-peer' } }
    case 'vxlan':
      return { kind, name: 'probe', vxlan: { id: 1 } }
    case 'macvlan':
    case 'ipvlan':
      return { kind, name: 'probe', parent: 'probe0' }
    case 'vlan':
      return { kind, name: 'probe', parent: 'probe0', vlanId: 1 }
  }
}

/**
 * Whether the running kernel can create links of `kind` (`vlan`, `dummy`, `macvlan`, …).
 * The probe creates one (on a veth parent for macvlan, ipvlan and vlan) inside a fresh
 * namespace of its own, which disappears with everything in it: nothing in any existing
 * namespace is touched. `false` only when the kernel answers EOPNOTSUPP ("Unknown device
 * type": not built in and no module to load); other failures throw. A module the kernel
 * loads on demand counts as support (the probe's request loads it). Costs about a
 * millisecond; callers cache the answer.
 */
export function linkKindSupported(kind: LinkKind): boolean {
  checkEnum(kind, 'kind', LINK_KINDS)
  const fd = anonymousNetns()
  let h: Netlink | undefined
  try {
    h = Netlink.open({ netns: { fd } })
    const spec = probeSpec(kind)
    if ('parent' in spec) h.createLink({ kind: 'veth', name: 'probe0', peer: { name: 'probe1' } })
    try {
      h.createLink(spec)
    } catch (err) {
      if (err instanceof NotImplementedError && err.code === 'eopnotsupp') return false
      throw err
    }
    return true
  } finally {
    h?.close()
    closeSync(fd)
  }
}

import { BadRequestError, ConflictError, NotFoundError, type IPNet } from '@libnetwork/types'
import { KernelSupportError } from './errors.js'
import type { MacvlanKernel } from './kernel.js'
import { dummyName, type Net } from './model.js'
import { vlanOf, type MacvlanNetworkOptions } from './options.js'

/** Where the children of a new network hang: the parent's name and who owns it. */
export async function resolveParent(
  kernel: MacvlanKernel,
  id: string,
  opts: MacvlanNetworkOptions,
): Promise<{ parent: string; owned?: 'vlan' | 'dummy' }> {
  if (opts.parent === undefined) {
    if (!(await kernel.supports('dummy')))
      throw new KernelSupportError('dummy', 'a macvlan network without a parent (-o parent=)', {
        networkId: id,
      })
    return { parent: dummyName(id), owned: 'dummy' }
  }
  const found = await kernel.link(opts.parent)
  if (found) {
    if (found.loopback)
      throw new BadRequestError(
        'macvlan-parent-invalid',
        `parent ${found.name} is a loopback interface`,
        { details: { parent: found.name } },
      )
    if (found.enslaved)
      throw new ConflictError(
        'macvlan-parent-enslaved',
        `parent ${found.name} is a port of a bridge or bond and cannot take macvlan children`,
        { details: { parent: found.name } },
      )
    return { parent: found.name }
  }
  const vlan = vlanOf(opts.parent)
  if (!vlan)
    throw new NotFoundError(
      'macvlan-parent-not-found',
      `parent interface ${opts.parent} does not exist`,
      { details: { parent: opts.parent } },
    )
  if (!(await kernel.supports('vlan')))
    throw new KernelSupportError(
      'vlan',
      `parent ${opts.parent} (VLAN ${vlan.vlanId} on ${vlan.link})`,
      {
        parent: opts.parent,
        networkId: id,
      },
    )
  if (!(await kernel.link(vlan.link)))
    throw new NotFoundError(
      'macvlan-parent-not-found',
      `parent ${opts.parent}: its link ${vlan.link} does not exist`,
      { details: { parent: opts.parent, link: vlan.link } },
    )
  return { parent: opts.parent, owned: 'vlan' }
}

/** Refuse a network that would share a parent in a way the kernel or the LAN cannot. */
export function checkShare(
  nets: Iterable<Net>,
  net: { id: string; parent: string; opts: MacvlanNetworkOptions },
  pools: IPNet[],
): void {
  for (const other of nets) {
    if (other.parent !== net.parent) continue
    if (net.opts.mode === 'passthru' || other.opts.mode === 'passthru')
      throw new ConflictError(
        'macvlan-parent-in-use',
        `parent ${net.parent} is used by macvlan network ${other.id}${other.opts.mode === 'passthru' ? ' in passthru mode' : ''}; a passthru parent serves one network only`,
        { details: { parent: net.parent, networkId: other.id } },
      )
    for (const p of pools) {
      const clash = [...other.ipv4, ...other.ipv6].find((d) => d.pool.overlaps(p))
      if (clash)
        throw new ConflictError(
          'macvlan-subnet-overlap',
          `subnet ${p.toString()} overlaps ${clash.pool.toString()} of macvlan network ${other.id} on the same parent ${net.parent}`,
          { details: { parent: net.parent, subnet: p.toString(), networkId: other.id } },
        )
    }
  }
}

import { execFile } from 'node:child_process'
import { Netlink, getSysctl, setSysctl } from '@libnetwork/netlink'
import { BadRequestError, UnavailableError } from '@libnetwork/types'
import type { BridgeKernel } from './kernel.js'

/**
 * The bridge kernel through rtnetlink in-process (`@libnetwork/netlink`): no spawns except
 * for hairpin mode, which rtnetlink's link API here does not carry (one `ip` call per port).
 */
export function netlinkKernel(opts: { netns?: string } = {}): BridgeKernel {
  let handle: Netlink | undefined
  const nl = () => (handle ??= Netlink.open({ netns: opts.netns }))
  const sysctlOpts = opts.netns ? { netns: opts.netns } : {}
  const hairpin = (name: string) =>
    new Promise<void>((resolve, reject) => {
      const ns = opts.netns ? ['-n', opts.netns] : []
      execFile(
        'ip',
        [...ns, 'link', 'set', 'dev', name, 'type', 'bridge_slave', 'hairpin', 'on'],
        (err, _o, stderr) =>
          err
            ? reject(
                new UnavailableError('ip-failed', `hairpin on ${name}: ${String(stderr).trim()}`, {
                  cause: err,
                }),
              )
            : resolve(),
      )
    })
  return {
    async links() {
      const all = nl().links()
      const byIndex = new Map(all.map((l) => [l.index, l.name]))
      return all.map((l) => ({
        name: l.name,
        kind: l.kind,
        master: l.master === undefined ? undefined : byIndex.get(l.master),
        alias: l.alias,
      }))
    },
    async ensureBridge(spec) {
      const h = nl()
      const existing = h.findLink(spec.name)
      if (existing && existing.kind !== 'bridge') {
        throw new BadRequestError('not-a-bridge', `${spec.name} exists and is not a bridge`, {
          details: { name: spec.name },
        })
      }
      if (!existing) h.createLink({ name: spec.name, kind: 'bridge', mtu: spec.mtu })
      try {
        h.setLink(spec.name, { mtu: spec.mtu, alias: spec.alias })
        for (const a of spec.addresses)
          h.replaceAddress(spec.name, a, a.version === 6 ? { noDad: true } : {})
        h.setUp(spec.name)
      } catch (err) {
        if (!existing) h.deleteLink(spec.name)
        throw err
      }
    },
    async createVeth(s) {
      const h = nl()
      h.createLink({
        name: s.host,
        kind: 'veth',
        mtu: s.mtu,
        master: s.master,
        peer: {
          name: s.peer,
          mtu: s.mtu,
          mac: s.peerMac,
          ...(s.peerNetns ? { netns: s.peerNetns } : {}),
        },
      })
      try {
        h.setLink(s.host, { alias: s.alias, up: true })
        if (s.hairpin) await hairpin(s.host)
      } catch (err) {
        h.deleteLink(s.host)
        throw err
      }
    },
    async attach(name, master, hp) {
      nl().setLink(name, { master, up: true })
      if (hp) await hairpin(name)
    },
    async deleteLink(name) {
      // The kernel's wait while unregistering a device (25-40 ms) happens on a pool thread.
      const h = nl()
      if (h.findLink(name)) await h.deleteLinkInBackground(name)
    },
    async setSysctl(key, value) {
      setSysctl(key, value, sysctlOpts)
    },
    async getSysctl(key) {
      return getSysctl(key, sysctlOpts).trim()
    },
  }
}

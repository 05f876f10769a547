// Bad input to overlay networks through dnet, with etcd (the VNI set and the address pools are
// the cluster's) and etcd-less: a VNI already in use, an invalid VNI or MTU, a subnet that
// overlaps another global network, an encrypted network on this kernel (no IPsec ESP). Each is
// refused with a typed error and leaves the networks and the stores as they were.
import t from 'tap'
import {
  VNI_OPTION,
  apiError,
  leftoversSince,
  needsRoot,
  overlayWorld,
  snap,
  type Mode,
} from './overlay-dnet.js'

for (const mode of ['etcd', 'etcdless'] as Mode[]) {
  t.test(
    `bad overlay input is refused and changes nothing (${mode})`,
    { skip: needsRoot },
    async (t) => {
      const w = await overlayWorld(t, mode, 2)
      const [d1, d2] = w.ds as [(typeof w.ds)[0], (typeof w.ds)[0]]
      const net = (name: string, subnet: string, options: Record<string, string>) => ({
        name,
        driver: 'overlay',
        ipam: { config: [{ subnet }] },
        options,
      })
      await d1.createNetwork(net('a', '10.73.0.0/24', { [VNI_OPTION]: '4300' }))
      const before = await snap(w)

      const refused = async (
        what: string,
        on: typeof d1,
        req: ReturnType<typeof net>,
        want: { status: number; codes: string[]; message?: RegExp },
      ) => {
        const e = await apiError(on.createNetwork(req))
        t.equal(e.status, want.status, `${what}: status ${want.status}`)
        t.ok(
          want.codes.includes(e.code),
          `${what}: code ${e.code} is one of ${want.codes.join(', ')}`,
        )
        if (want.message) t.match(e.message, want.message, `${what}: the message says why`)
        t.same(await leftoversSince(w, before), [], `${what}: nothing changed`)
      }

      // the same VNI as network a: on a's host; with etcd, on another host too (the set is shared)
      const vniInUse = {
        status: 409,
        codes: ['overlay-vni-in-use', 'id-in-use'],
        message: /4300/,
      }
      const sameVni = net('b', '10.74.0.0/24', { [VNI_OPTION]: '4300' })
      await refused('VNI in use', d1, sameVni, vniInUse)
      if (mode === 'etcd') await refused('VNI in use on another host', d2, sameVni, vniInUse)
      for (const vni of ['0', '16777216', 'x12'])
        await refused(`VNI ${vni}`, d1, net('b', '10.74.0.0/24', { [VNI_OPTION]: vni }), {
          status: 400,
          codes: ['driver-invalid-option'],
          message: /vxlanid_list/,
        })
      for (const mtu of ['67', '65536', 'big'])
        await refused(
          `MTU ${mtu}`,
          d1,
          net('b', '10.74.0.0/24', { [VNI_OPTION]: '4301', 'com.docker.network.driver.mtu': mtu }),
          { status: 400, codes: ['driver-invalid-option'], message: /mtu/ },
        )
      // a subnet overlapping network a: on a's host; with etcd, from another host too
      const overlap = { status: 409, codes: ['subnet-overlap', 'pool-overlap'] }
      const under = net('b', '10.73.0.128/25', { [VNI_OPTION]: '4301' })
      await refused('overlapping subnet', d1, under, overlap)
      const over = net('b', '10.73.0.0/16', { [VNI_OPTION]: '4301' })
      if (mode === 'etcd') await refused('overlapping subnet from another host', d2, over, overlap)
      await refused(
        'encrypted on a kernel without ESP',
        d1,
        net('b', '10.74.0.0/24', { [VNI_OPTION]: '4301', encrypted: 'true' }),
        {
          status: 501,
          codes: ['overlay-encryption-unsupported'],
          message: /ESP|esp4/,
        },
      )
      if (mode === 'etcdless') {
        // etcd-less hosts cannot agree on a VNI they did not name
        await refused('no VNI without a global store', d1, net('b', '10.74.0.0/24', {}), {
          status: 400,
          codes: ['overlay-vni-required'],
          message: /vxlanid_list/,
        })
      }
      // what was refused took nothing: the same VNI and subnet are free for a good request
      const ok = await d1.createNetwork(net('b', '10.74.0.0/24', { [VNI_OPTION]: '4301' }))
      t.equal(ok.name, 'b', 'a good request after the refusals works')
    },
  )
}

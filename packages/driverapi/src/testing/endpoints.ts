import assert from 'node:assert/strict'
import { withBindings } from './types.js'
import { checkBoundPort, checkJoinResult, checkOperInfo, portsText, rejectsWith } from './expect.js'

import type { SuiteCase as Case } from './types.js'

export const endpointCases: Case[] = [
  {
    id: 'endpoint-lifecycle',
    name: 'endpoints: create keeps the addresses, a second create conflicts, unknown ids are not-found',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      const other = ctx.host.network(1)
      await d.createNetwork(net)
      const ep = ctx.host.endpoint(net, 0)
      await rejectsWith(
        d.createEndpoint({ ...ep, networkId: other.networkId }),
        'not-found',
        'createEndpoint on a missing network',
      )
      const { iface } = await d.createEndpoint(ep)
      for (const k of ['address', 'addressIPv6', 'mac'] as const) {
        if (ep.iface[k] !== undefined)
          assert.equal(String(iface[k]), String(ep.iface[k]), `createEndpoint keeps the given ${k}`)
      }
      await rejectsWith(d.createEndpoint(ep), 'conflict', 'createEndpoint twice')
      checkOperInfo(await d.endpointOperInfo(ep))
      const missing = { networkId: net.networkId, endpointId: ctx.host.endpoint(net, 1).endpointId }
      await rejectsWith(
        d.endpointOperInfo(missing),
        'not-found',
        'endpointOperInfo of a missing endpoint',
      )
      await rejectsWith(
        d.deleteEndpoint(missing),
        'not-found',
        'deleteEndpoint of a missing endpoint',
      )
      await d.deleteEndpoint(ep)
      await rejectsWith(d.deleteEndpoint(ep), 'not-found', 'deleteEndpoint twice')
      await rejectsWith(d.endpointOperInfo(ep), 'not-found', 'endpointOperInfo after delete')
      // the id is free again
      await d.createEndpoint(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
    },
  },
  {
    id: 'join-leave',
    name: 'join answers interfaces, gateway and routes; leave; the endpoint joins again',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      await d.createNetwork(net)
      const ep = ctx.host.endpoint(net, 0)
      const sandboxKey = await ctx.host.sandbox()
      const missing = ctx.host.endpoint(net, 1)
      await rejectsWith(
        d.join({ ...missing, sandboxKey, options: missing.options }),
        'not-found',
        'join of a missing endpoint',
      )
      await d.createEndpoint(ep)
      const first = await d.join({ ...ep, sandboxKey, options: ep.options })
      checkJoinResult(first)
      if (net.internal) assert.equal(first.gateway, undefined, 'an internal network has no gateway')
      await rejectsWith(d.leave(missing), 'not-found', 'leave of a missing endpoint')
      await d.leave(ep)
      const again = await d.join({ ...ep, sandboxKey, options: ep.options })
      checkJoinResult(again, 'second join')
      assert.deepEqual(
        again.interfaces.map((i) => i.dstPrefix),
        first.interfaces.map((i) => i.dstPrefix),
        'the same interfaces on the second join',
      )
      await d.leave(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
    },
  },
  {
    id: 'external-connectivity',
    name: 'external connectivity: programmed ports are reported, revoked ones are gone',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      await d.createNetwork(net)
      const base = ctx.host.endpoint(net, 0)
      const ep = { ...base, options: withBindings(base.options, ctx.opts.portBindings) }
      const missing = ctx.host.endpoint(net, 1)
      await rejectsWith(
        d.programExternalConnectivity({ ...missing, options: ep.options }),
        'not-found',
        'programExternalConnectivity of a missing endpoint',
      )
      await rejectsWith(
        d.revokeExternalConnectivity(missing),
        'not-found',
        'revokeExternalConnectivity of a missing endpoint',
      )
      await d.createEndpoint(ep)
      await d.join({ ...ep, sandboxKey: await ctx.host.sandbox(), options: ep.options })
      const ports = await d.programExternalConnectivity(ep)
      assert.ok(Array.isArray(ports), 'programExternalConnectivity answers an array')
      for (const p of ports) checkBoundPort(p)
      for (const b of ctx.opts.portBindings ?? []) {
        const got = ports.filter((p) => p.port === b.port && p.protocol === b.protocol)
        assert.ok(got.length > 0, `binding ${b.protocol}/${b.port} is published`)
        if (b.hostPort)
          assert.ok(
            got.every((p) => p.hostPort === b.hostPort),
            'the asked host port',
          )
      }
      assert.deepEqual(
        portsText((await d.endpointOperInfo(ep)).portBindings),
        portsText(ports),
        'endpointOperInfo reports the ports',
      )
      await d.revokeExternalConnectivity(ep)
      assert.deepEqual((await d.endpointOperInfo(ep)).portBindings, [], 'no ports after revoke')
      // the same host ports can be had again (removal is ordered before the next publish)
      const again = await d.programExternalConnectivity(ep)
      assert.equal(again.length, ports.length, 'published again, as many ports')
      for (const b of ctx.opts.portBindings ?? [])
        if (b.hostPort)
          assert.ok(
            again.some((p) => p.port === b.port && p.hostPort === b.hostPort),
            `host port ${b.hostPort} had again`,
          )
      await d.revokeExternalConnectivity(ep)
      await d.leave(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
      await d.settled?.()
    },
  },
]

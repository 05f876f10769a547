import assert from 'node:assert/strict'
import type { RestoreState } from '../driver.js'
import { withBindings } from './types.js'
import { checkOperInfo, checkReport, portsText, rejectsWith, rejectsWithReason } from './expect.js'

import type { SuiteCase as Case } from './types.js'

export const lifecycleCases: Case[] = [
  {
    id: 'restore',
    name: 'restore: a new driver takes the records, reports, and carries on from them',
    async run(ctx) {
      const first = ctx.driver()
      const net = ctx.host.network(0)
      await first.createNetwork(net)
      const base = ctx.host.endpoint(net, 0)
      const joined = { ...base, options: withBindings(base.options, ctx.opts.portBindings) }
      const idle = ctx.host.endpoint(net, 1)
      const sandboxKey = await ctx.host.sandbox()
      await first.createEndpoint(joined)
      await first.createEndpoint(idle)
      await first.join({ ...joined, sandboxKey, options: joined.options })
      const ports = await first.programExternalConnectivity(joined)
      await first.settled?.()
      await ctx.stop(first)

      const second = ctx.driver()
      const state: RestoreState = {
        networks: [net],
        endpoints: [
          { ...joined, sandboxKey, boundPorts: ports },
          { ...idle, options: idle.options },
        ],
      }
      checkReport(await second.restore(state))
      const info = await second.endpointOperInfo(joined)
      checkOperInfo(info)
      assert.deepEqual(portsText(info.portBindings), portsText(ports), 'ports come back as stored')
      await second.endpointOperInfo(idle)
      await rejectsWith(second.createNetwork(net), 'conflict', 'the restored network exists')
      await rejectsWith(second.createEndpoint(idle), 'conflict', 'the restored endpoint exists')
      await second.revokeExternalConnectivity(joined)
      await second.leave(joined)
      await second.deleteEndpoint(joined)
      await second.deleteEndpoint(idle)
      await second.deleteNetwork(net)
      await second.settled?.()
    },
  },
  {
    id: 'restore-empty',
    name: 'restore of no records answers a report and leaves a working driver',
    async run(ctx) {
      const d = ctx.driver()
      checkReport(await d.restore({ networks: [], endpoints: [] }))
      const net = ctx.host.network(0)
      await rejectsWith(d.deleteNetwork(net), 'not-found', 'no network after an empty restore')
      await d.createNetwork(net)
      await d.deleteNetwork(net)
    },
  },
  {
    id: 'settled-stop',
    name: 'after a full cycle settled() (when present) and stop() resolve',
    async run(ctx) {
      const d = ctx.driver()
      assert.ok(
        d.settled === undefined || typeof d.settled === 'function',
        'settled is optional, a method',
      )
      const net = ctx.host.network(0)
      await d.createNetwork(net)
      const base = ctx.host.endpoint(net, 0)
      const ep = { ...base, options: withBindings(base.options, ctx.opts.portBindings) }
      await d.createEndpoint(ep)
      await d.join({ ...ep, sandboxKey: await ctx.host.sandbox(), options: ep.options })
      await d.programExternalConnectivity(ep)
      await d.revokeExternalConnectivity(ep)
      await d.leave(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
      await d.settled?.()
      await d.settled?.()
      await ctx.stop(d)
    },
  },
  {
    id: 'aborted-signal',
    name: 'an aborted signal rejects with its reason before any change',
    async run(ctx) {
      const d = ctx.driver()
      const ac = new AbortController()
      const reason = new Error('the caller gave up')
      ac.abort(reason)
      const o = { signal: ac.signal }
      const net = ctx.host.network(0)
      const base = ctx.host.endpoint(net, 0)
      const ep = { ...base, options: withBindings(base.options, ctx.opts.portBindings) }
      const sandboxKey = await ctx.host.sandbox()
      const join = { ...ep, sandboxKey, options: ep.options }

      await rejectsWithReason(d.restore({ networks: [net], endpoints: [] }, o), reason, 'restore')
      await rejectsWith(d.deleteNetwork(net), 'not-found', 'the aborted restore made nothing')
      await rejectsWithReason(d.createNetwork(net, o), reason, 'createNetwork')
      await d.createNetwork(net) // (would conflict had the aborted one made it)
      await rejectsWithReason(d.createEndpoint(ep, o), reason, 'createEndpoint')
      await d.createEndpoint(ep)
      await rejectsWithReason(d.join(join, o), reason, 'join')
      await d.join(join)
      await rejectsWithReason(
        d.programExternalConnectivity(ep, o),
        reason,
        'programExternalConnectivity',
      )
      assert.deepEqual((await d.endpointOperInfo(ep)).portBindings, [], 'no ports published')
      const ports = await d.programExternalConnectivity(ep)
      await rejectsWithReason(
        d.revokeExternalConnectivity(ep, o),
        reason,
        'revokeExternalConnectivity',
      )
      assert.deepEqual(
        portsText((await d.endpointOperInfo(ep)).portBindings),
        portsText(ports),
        'ports still published',
      )
      await d.revokeExternalConnectivity(ep)
      await rejectsWithReason(d.leave(ep, o), reason, 'leave')
      await d.leave(ep)
      await rejectsWithReason(d.deleteEndpoint(ep, o), reason, 'deleteEndpoint')
      checkOperInfo(await d.endpointOperInfo(ep))
      await d.deleteEndpoint(ep)
      await rejectsWithReason(d.deleteNetwork(net, o), reason, 'deleteNetwork')
      await d.createEndpoint(ep) // the network is still there
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
      if (d.allocateNetwork) {
        const req = {
          networkId: net.networkId,
          options: net.options,
          ipv4: net.ipv4,
          ipv6: net.ipv6,
        }
        await rejectsWithReason(d.allocateNetwork(req, o), reason, 'allocateNetwork')
      }
      await d.settled?.()
    },
  },
  {
    id: 'global-hooks',
    when: (o) => o.globalHooks === true,
    name: 'allocateNetwork answers driver data that createNetwork takes; freeNetwork releases it',
    async run(ctx) {
      const d = ctx.driver()
      assert.equal(typeof d.allocateNetwork, 'function', 'the driver has allocateNetwork')
      assert.equal(typeof d.freeNetwork, 'function', 'the driver has freeNetwork')
      if (!d.allocateNetwork || !d.freeNetwork) return
      const net = ctx.host.network(0)
      const req = { networkId: net.networkId, options: net.options, ipv4: net.ipv4, ipv6: net.ipv6 }
      const data = await d.allocateNetwork(req)
      assert.ok(typeof data === 'object' && data !== null, 'driver data is an object')
      for (const [k, v] of Object.entries(data))
        assert.equal(typeof v, 'string', `driver data ${k} is a string`)
      await d.createNetwork({ ...net, driverData: data })
      await d.deleteNetwork(net)
      await d.freeNetwork({ networkId: net.networkId, driverData: data })
      // freed: the same network can be allocated again
      const again = await d.allocateNetwork(req)
      await d.freeNetwork({ networkId: net.networkId, driverData: again })
    },
  },
]

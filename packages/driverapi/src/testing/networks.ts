import assert from 'node:assert/strict'
import { rejectsWith, throwsWith } from './expect.js'

import type { SuiteCase as Case } from './types.js'

/** Non-objects every driver's `parseNetworkOptions` refuses. */
const NOT_OPTIONS: unknown[] = [42, 'text', [1], true]

export const networkCases: Case[] = [
  {
    id: 'capability',
    name: 'type and capability are well-formed',
    async run(ctx) {
      const d = ctx.driver()
      assert.ok(typeof d.type === 'string' && d.type.length > 0, 'type is a non-empty name')
      const c = d.capability
      assert.ok(['local', 'global'].includes(c.dataScope), 'dataScope is local or global')
      assert.ok(['local', 'global'].includes(c.connectivityScope), 'connectivityScope')
      assert.equal(typeof c.needsIpam, 'boolean', 'needsIpam is a boolean')
      assert.equal(typeof c.sharesHostNetwork, 'boolean', 'sharesHostNetwork is a boolean')
      if (c.tables !== undefined) {
        assert.ok(Array.isArray(c.tables), 'tables is an array')
        for (const t of c.tables) assert.ok(typeof t === 'string' && t.length > 0, 'table names')
        if (c.tables.length > 0)
          assert.equal(typeof d.onTableEvent, 'function', 'a driver with tables has onTableEvent')
      }
      assert.equal(
        typeof d.allocateNetwork,
        typeof d.freeNetwork,
        'allocateNetwork and freeNetwork come together',
      )
      if (ctx.opts.globalHooks)
        assert.equal(typeof d.allocateNetwork, 'function', 'the global hooks are there')
    },
  },
  {
    id: 'parse-options',
    name: 'parseNetworkOptions accepts {} and refuses bad input with a bad-request error',
    async run(ctx) {
      const d = ctx.driver()
      const parsed = d.parseNetworkOptions({})
      for (const bad of [...NOT_OPTIONS, ...(ctx.opts.badOptions ?? [{ 'no-such-option': 'x' }])])
        throwsWith(
          () => d.parseNetworkOptions(bad),
          'bad-request',
          `options ${JSON.stringify(bad)}`,
        )
      // what it parsed from {} is what createNetwork takes
      await d.createNetwork({ ...ctx.host.network(0), options: parsed })
    },
  },
  {
    id: 'network-conflict',
    name: 'creating an existing network is a conflict and changes nothing',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      await d.createNetwork(net)
      await rejectsWith(d.createNetwork(net), 'conflict', 'createNetwork twice')
      // still there, once: an endpoint can be made on it, and it deletes once
      const ep = ctx.host.endpoint(net, 0)
      await d.createEndpoint(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
      await rejectsWith(d.deleteNetwork(net), 'not-found', 'deleteNetwork after delete')
    },
  },
  {
    id: 'second-network',
    name: 'a second network: independent, or forbidden for a single-network driver',
    async run(ctx) {
      const d = ctx.driver()
      const [a, b] = [ctx.host.network(0), ctx.host.network(1)]
      assert.notEqual(a.networkId, b.networkId, 'the host gives distinct network ids')
      await d.createNetwork(a)
      if (ctx.opts.singleNetwork) {
        await rejectsWith(d.createNetwork(b), 'forbidden', 'second network')
        await rejectsWith(d.deleteNetwork(b), 'not-found', 'the refused network')
        await d.deleteNetwork(a)
        await d.createNetwork(b)
        await d.deleteNetwork(b)
        return
      }
      await d.createNetwork(b)
      await d.deleteNetwork(a)
      const ep = ctx.host.endpoint(b, 0)
      await d.createEndpoint(ep)
      await rejectsWith(
        d.createEndpoint(ctx.host.endpoint(a, 1)),
        'not-found',
        'endpoint on the deleted network',
      )
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(b)
    },
  },
  {
    id: 'network-delete',
    name: 'deleting a missing network is not-found; a deleted one can be made again at once',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      await rejectsWith(d.deleteNetwork(net), 'not-found', 'deleteNetwork of a missing network')
      await d.createNetwork(net)
      await d.deleteNetwork(net)
      // work the driver finishes in the background is ordered before the next operation
      await d.createNetwork(net)
      await d.deleteNetwork(net)
      await d.settled?.()
    },
  },
  {
    id: 'network-busy',
    name: 'a network with endpoints cannot be deleted (forbidden) and stays usable',
    async run(ctx) {
      const d = ctx.driver()
      const net = ctx.host.network(0)
      await d.createNetwork(net)
      const ep = ctx.host.endpoint(net, 0)
      await d.createEndpoint(ep)
      await rejectsWith(d.deleteNetwork(net), 'forbidden', 'deleteNetwork with an endpoint')
      await d.endpointOperInfo(ep)
      await d.deleteEndpoint(ep)
      await d.deleteNetwork(net)
    },
  },
]

import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { LibnetworkError } from '@libnetwork/types'
import {
  decodeGossip,
  encodeGossip,
  openEnvelope,
  decodeCompound,
  type GossipMessage,
} from '../src/index.js'

const FIX = '/work/shared/fixtures/networkdb'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

interface Fixture {
  name: string
  inner_hex: string
  gossip_hex: string
  decoded: { type: string; message: Record<string, unknown> }
}
const messages = JSON.parse(readFileSync(`${FIX}/messages.json`, 'utf8')) as {
  fixtures: Fixture[]
}

function checkFields(t: Test, msg: GossipMessage, want: Record<string, unknown>): void {
  const m = msg.message as unknown as Record<string, unknown>
  if (msg.type === 'compound') {
    t.equal(msg.message.length, (want.messages as unknown[]).length, 'compound parts')
    return
  }
  if ('l_time' in want) t.equal(m.ltime, want.l_time, 'l_time')
  if ('node_name' in want) t.equal(m.nodeName, want.node_name, 'node_name')
  if ('network_id' in want) t.equal(m.networkId, want.network_id, 'network_id')
  if ('table_name' in want) t.equal(m.tableName, want.table_name, 'table_name')
  if ('key' in want) t.equal(m.key, want.key, 'key')
  if ('value' in want) t.equal(hex(m.value as Uint8Array), want.value, 'value')
  if ('residual_reap_time' in want) t.equal(m.residualReapTime, want.residual_reap_time)
  if ('unsolicited' in want) t.equal(m.unsolicited, want.unsolicited, 'unsolicited')
  if ('type' in want) t.equal(m.type, String(want.type).toLowerCase(), 'event type')
  if (msg.type === 'bulk-sync') t.same(msg.message.networks, want.networks)
  if (msg.type === 'push-pull') {
    t.same(
      msg.message.networks.map((n) => [n.networkId, n.ltime, n.nodeName, n.leaving]),
      (want.networks as Record<string, unknown>[]).map((n) => [
        n.network_id,
        n.l_time,
        n.node_name,
        n.leaving,
      ]),
    )
  }
}

t.test('every fixture message decodes and re-encodes to the same bytes', async (t) => {
  t.equal(messages.fixtures.length, 14)
  for (const f of messages.fixtures) {
    t.test(f.name, async (t) => {
      const env = openEnvelope(unhex(f.gossip_hex))
      t.equal(hex(env.data), f.inner_hex, 'envelope data is the inner message')
      const msg = decodeGossip(unhex(f.gossip_hex))
      checkFields(t, msg, f.decoded.message)
      t.equal(hex(encodeGossip(msg)), f.gossip_hex, 'enveloped re-encode')
      if (msg.type === 'compound') {
        for (const part of msg.message) {
          t.equal(hex(encodeGossip(decodeGossip(part))), hex(part), 'compound part re-encode')
        }
      }
      if (msg.type === 'bulk-sync') {
        const inner = decodeGossip(msg.message.payload)
        t.equal(inner.type, 'compound')
        t.equal(hex(encodeGossip(inner)), hex(msg.message.payload))
      }
    })
  }
})

t.test('an empty compound encodes as 0805', async (t) => {
  t.equal(hex(encodeGossip({ type: 'compound', message: [] })), '0805')
  t.same(decodeCompound(new Uint8Array(0)), [])
})

t.test('malformed and unknown input gives typed errors', async (t) => {
  const bad = [
    unhex('0a'),
    unhex('08071200'),
    unhex('0802120208'),
    unhex('ff'),
    unhex('0806120208'),
  ]
  for (const b of bad) {
    let caught: unknown
    try {
      decodeGossip(b)
    } catch (err) {
      caught = err
    }
    t.ok(LibnetworkError.isInstance(caught), `rejects ${hex(b)} with a typed error`)
    t.equal((caught as LibnetworkError).category, 'bad-request')
  }
})

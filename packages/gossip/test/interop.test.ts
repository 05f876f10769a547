// Replays what a real Go NetworkDB node (0f1e2d3c4b5a) sent to its peer a1b2c3d4e5f6 in the
// captured session into a live node of ours named a1b2c3d4e5f6: its join push/pull, pings,
// gossip, user packets and stream, and finally its graceful leave.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { fixtureDir, hex, toHex } from './fixtures.js'
import { startNode, waitFor } from './helpers.js'
import { decodePacket, decodeStream } from '../src/index.js'

const session = JSON.parse(
  readFileSync(join(fixtureDir, '..', 'networkdb', 'session_plain.json'), 'utf8'),
) as { records: any[] }
const GO = '0f1e2d3c4b5a'
const US = 'a1b2c3d4e5f6'

/** User payloads inside a fixture message tree. */
function payloads(tree: any): string[] {
  if (tree.type === 'compress') return payloads(tree.inner)
  if (tree.type === 'compound') return tree.parts.flatMap(payloads)
  return tree.type === 'user' ? [tree.payload as string] : []
}

t.test('a live node accepts a Go NetworkDB peer byte for byte', async (t) => {
  const got: string[] = []
  const merged: string[] = []
  const us = await startNode(t, {
    name: US,
    probeInterval: 5000,
    probeTimeout: 1000,
    delegate: {
      notifyMessage: (p) => got.push(toHex(p)),
      mergeRemoteState: (s) => merged.push(toHex(s)),
      localState: () => new Uint8Array(0),
    },
  })
  const port = us.g.address.port
  const sock = createSocket('udp4')
  const replies: Uint8Array[] = []
  sock.on('message', (m) => replies.push(new Uint8Array(m)))
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()))
  t.teardown(() => sock.close())

  const fromGo = session.records.filter(
    (r) => r.from_node === GO && r.to_node === US && r.tcp_direction !== 'server->client',
  )
  const expectUser: string[] = []
  let pings = 0
  for (const r of fromGo) {
    const bytes = hex(r.hex)
    if (r.transport === 'tcp') {
      const reply = await new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = []
        const c = connect(port, '127.0.0.1', () => c.write(bytes))
        c.on('data', (d) => chunks.push(d))
        c.on('end', () => c.end())
        c.on('close', () => resolve(Buffer.concat(chunks)))
      })
      const m = r.decoded.message
      if (m.type === 'pushPull') {
        const back = decodeStream(new Uint8Array(reply)).message
        t.equal(back.type, 'pushPull', 'answered the join push/pull')
        if (back.type === 'pushPull') {
          t.equal(back.join, true, 'echoes the Join flag')
          // like memberlist, the reply is our state from before the merge
          t.same(
            back.states.map((s) => s.name),
            [US],
          )
        }
        t.same(merged, [m.userState], 'NetworkDB user state handed to the delegate')
        t.equal(us.g.member(GO)?.state, 'alive')
        t.equal(us.g.member(GO)?.port, 27947)
      } else if (m.type === 'user') expectUser.push(m.payload)
    } else {
      const m = r.decoded.message
      expectUser.push(...payloads(m))
      if (m.type === 'ping' || m.parts?.[0]?.type === 'ping') pings++
      await new Promise<void>((res) => sock.send(bytes, port, '127.0.0.1', () => res()))
      await new Promise((res) => setTimeout(res, 5))
    }
  }
  await waitFor('user messages delivered', () => expectUser.every((p) => got.includes(p)))
  t.ok(expectUser.length > 5, `${expectUser.length} NetworkDB payloads delivered`)
  await waitFor('acks', () => {
    const acks = replies.flatMap((b) => decodePacket(b).messages).filter((m) => m.type === 'ack')
    return acks.length >= pings
  })
  t.ok(pings >= 2, `${pings} Go pings answered with acks`)
  await waitFor('graceful leave understood', () => us.g.member(GO)?.state === 'left')
  t.equal(us.g.metrics.totalDecodeErrors, 0, 'no decode errors')
})

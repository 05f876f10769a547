// Real Go NetworkDB sessions captured on loopback (shared/fixtures/networkdb/session_*.json):
// every UDP datagram and TCP stream direction decodes with our codec and re-encodes to the
// same bytes (with the captured nonce for encrypted records).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixtureDir, hex, toHex } from './fixtures.js'
import {
  Keyring,
  compressMessage,
  decodePacket,
  decodeStream,
  encodeMessage,
  encodePacket,
  encodeStream,
  makeCompound,
  type Message,
} from '../src/index.js'

interface Tree {
  type: string
  inner?: Tree
  parts?: Tree[]
}

/** Rebuilds a message tree from the fixture's shape and our decoded messages, in order. */
function rebuild(tree: Tree, msgs: Message[]): Uint8Array {
  if (tree.type === 'compress') return compressMessage(rebuild(tree.inner!, msgs))
  if (tree.type === 'compound') return makeCompound(tree.parts!.map((p) => rebuild(p, msgs)))
  const m = msgs.shift()!
  if (m.type !== tree.type) throw new Error(`expected ${tree.type}, decoded ${m.type}`)
  return encodeMessage(m)
}

for (const file of ['session_plain.json', 'session_aes128.json']) {
  t.test(`${file}: every record decodes and re-encodes byte-exact`, (t) => {
    const session = JSON.parse(readFileSync(join(fixtureDir, '..', 'networkdb', file), 'utf8')) as {
      meta: { encryption_key?: string }
      records: any[]
    }
    const key = session.meta.encryption_key
    const keyring = key ? new Keyring([hex(key)]) : undefined
    let udp = 0
    let tcp = 0
    for (const r of session.records) {
      const bytes = hex(r.hex)
      const nonce = r.decoded.encryption ? hex(r.decoded.encryption.nonce) : undefined
      if (r.transport === 'udp') {
        udp++
        const p = decodePacket(bytes, { keyring })
        t.same([p.errors.length, p.truncated], [0, 0], `#${r.index} clean`)
        t.equal(p.crc, Boolean(r.decoded.crc), `#${r.index} crc`)
        const body = rebuild(r.decoded.message, [...p.messages])
        const again = encodePacket(body, { crc: p.crc, keyring, ...(nonce ? { nonce } : {}) })
        t.equal(toHex(again), r.hex, `#${r.index} udp re-encodes`)
      } else {
        tcp++
        const s = decodeStream(bytes, { keyring })
        t.equal(s.consumed, bytes.length, `#${r.index} whole stream`)
        t.equal(s.message.type, r.decoded.message.type)
        const again = encodeStream(s.message, {
          compress: Boolean(r.decoded.compression),
          keyring,
          ...(nonce ? { nonce } : {}),
        })
        t.equal(toHex(again), r.hex, `#${r.index} stream re-encodes`)
      }
    }
    t.ok(udp > 50 && tcp >= 4, `${udp} datagrams, ${tcp} stream directions`)
    t.end()
  })
}

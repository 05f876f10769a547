/**
 * The hot path's view of a query: header, question and EDNS, read straight from the buffer
 * without decoding the message (no objects per query). Everything that does not look like an
 * ordinary query is classified here; records are encoded elsewhere, with dns-packet.
 */

/** Outcomes of parseQuery. `Drop`: not worth an answer (shorter than a header, or a response). */
export const Parse = { Ok: 0, Drop: 1, FormErr: 2, NotImp: 3 } as const
export type Parse = (typeof Parse)[keyof typeof Parse]

export const RCODE_NOERROR = 0
export const RCODE_FORMERR = 1
export const RCODE_SERVFAIL = 2
export const RCODE_NXDOMAIN = 3
export const RCODE_NOTIMP = 4

export const FLAG_QR = 0x8000
export const FLAG_AA = 0x0400
export const FLAG_TC = 0x0200
export const FLAG_RD = 0x0100
export const FLAG_RA = 0x0080
export const FLAG_CD = 0x0010

const HEADER = 12
const MAX_NAME = 255

/** The parsed query; one reused instance per server (the hot path allocates nothing here). */
export class Query {
  id = 0
  flags = 0
  /** End of the question's name (exclusive) and of the whole question. */
  nameEnd = 0
  questionEnd = 0
  qtype = 0
  qclass = 0
  edns = false
  /** The client's EDNS UDP payload size (512 without EDNS). */
  udpSize = 512
  /** Lower-cased name bytes + qtype + EDNS flag: the answer-cache key. */
  key = ''
}

const scratch = Buffer.allocUnsafe(MAX_NAME + 3)

/** Query types we refuse: zone transfers, obsolete mail queries, OPT as a question, type 0. */
function notImplementedType(qtype: number): boolean {
  return qtype === 0 || qtype === 41 || (qtype >= 251 && qtype <= 254)
}

/** Read `msg` into `q`. Never throws, whatever the bytes. */
export function parseQuery(msg: Buffer, q: Query): Parse {
  const len = msg.length
  if (len < HEADER) return Parse.Drop
  q.id = msg.readUInt16BE(0)
  q.flags = msg.readUInt16BE(2)
  q.nameEnd = HEADER
  q.questionEnd = HEADER
  if ((q.flags & FLAG_QR) !== 0) return Parse.Drop
  if ((q.flags & 0x7800) !== 0) return Parse.NotImp // opcode other than QUERY
  const qd = msg.readUInt16BE(4)
  const an = msg.readUInt16BE(6)
  const ns = msg.readUInt16BE(8)
  const ar = msg.readUInt16BE(10)
  if (qd !== 1 || an !== 0 || ns !== 0 || ar > 1) return Parse.FormErr
  // The question name: plain labels only (a pointer here could only point into the header).
  let off = HEADER
  let n = 0
  for (;;) {
    if (off >= len) return Parse.FormErr
    const l = msg[off]!
    if (l === 0) break
    if (l > 63) return Parse.FormErr
    if (off + 1 + l > len || n + l + 1 > MAX_NAME - 1) return Parse.FormErr
    scratch[n++] = l
    for (let i = off + 1; i <= off + l; i++) {
      const c = msg[i]!
      scratch[n++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c
    }
    off += l + 1
  }
  q.nameEnd = off + 1
  if (q.nameEnd + 4 > len) return Parse.FormErr
  q.qtype = msg.readUInt16BE(q.nameEnd)
  q.qclass = msg.readUInt16BE(q.nameEnd + 2)
  q.questionEnd = q.nameEnd + 4
  q.edns = false
  q.udpSize = 512
  if (ar === 1) {
    // Must be an OPT pseudo-record owned by the root (anything else, e.g. TSIG, we do not do).
    const o = q.questionEnd
    if (o + 11 > len || msg[o] !== 0 || msg.readUInt16BE(o + 1) !== 41) return Parse.FormErr
    if (o + 11 + msg.readUInt16BE(o + 9) > len) return Parse.FormErr
    q.edns = true
    q.udpSize = Math.min(4096, Math.max(512, msg.readUInt16BE(o + 3)))
  }
  if (q.qclass !== 1) return Parse.NotImp
  if (notImplementedType(q.qtype)) return Parse.NotImp
  scratch[n++] = q.qtype >> 8
  scratch[n++] = q.qtype & 0xff
  scratch[n++] = q.edns ? 1 : 0
  q.key = scratch.toString('latin1', 0, n)
  return Parse.Ok
}

/**
 * The question name as dotted lower-case text, or undefined when a label holds bytes a host
 * name never has (then it is not ours, and is forwarded untouched).
 */
export function questionName(msg: Buffer, q: Query): string | undefined {
  let off = HEADER
  let name = ''
  while (off < q.nameEnd - 1) {
    const l = msg[off]!
    for (let i = off + 1; i <= off + l; i++) {
      const c = msg[i]!
      const ok =
        (c >= 0x30 && c <= 0x39) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x61 && c <= 0x7a) ||
        c === 0x2d ||
        c === 0x5f
      if (!ok) return undefined
    }
    name += (name === '' ? '' : '.') + msg.toString('latin1', off + 1, off + 1 + l).toLowerCase()
    off += l + 1
  }
  return name
}

/** The OPT record we put in answers to EDNS queries: root owner, 4096-byte payload, no flags. */
export const OPT_RR = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0])

/**
 * An answer without the question: flags (besides RD and CD, copied from the query), the counts
 * and the encoded sections after the question.
 */
export interface EncodedAnswer {
  flags: number
  an: number
  ns: number
  ar: number
  sections: Buffer
}

/** Header + the query's own question (its case kept) + `sections`. */
export function assemble(msg: Buffer, q: Query, a: EncodedAnswer, truncate: boolean): Buffer {
  const qlen = q.questionEnd - HEADER
  const sections = truncate ? (q.edns ? OPT_RR : EMPTY) : a.sections
  const out = Buffer.allocUnsafe(HEADER + qlen + sections.length)
  out.writeUInt16BE(q.id, 0)
  out.writeUInt16BE(a.flags | (q.flags & (FLAG_RD | FLAG_CD)) | (truncate ? FLAG_TC : 0), 2)
  out.writeUInt16BE(1, 4)
  out.writeUInt16BE(truncate ? 0 : a.an, 6)
  out.writeUInt16BE(truncate ? 0 : a.ns, 8)
  out.writeUInt16BE(truncate ? (q.edns ? 1 : 0) : a.ar, 10)
  msg.copy(out, HEADER, HEADER, q.questionEnd)
  sections.copy(out, HEADER + qlen)
  return out
}

const EMPTY = Buffer.alloc(0)

/** A bare error answer: the query's header and question (if it parsed that far), `rcode`. */
export function errorAnswer(msg: Buffer, q: Query, rcode: number, withQuestion: boolean): Buffer {
  const qlen = withQuestion ? q.questionEnd - HEADER : 0
  const opt = withQuestion && q.edns
  const out = Buffer.allocUnsafe(HEADER + qlen + (opt ? OPT_RR.length : 0))
  out.writeUInt16BE(q.id, 0)
  out.writeUInt16BE(FLAG_QR | FLAG_RA | (q.flags & (0x7800 | FLAG_RD | FLAG_CD)) | rcode, 2)
  out.writeUInt16BE(withQuestion ? 1 : 0, 4)
  out.writeUInt32BE(0, 6)
  out.writeUInt16BE(opt ? 1 : 0, 10)
  if (withQuestion) msg.copy(out, HEADER, HEADER, q.questionEnd)
  if (opt) OPT_RR.copy(out, HEADER + qlen)
  return out
}

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
  /** Flags of the query (bytes 2-3). */
  flags = 0
  /** End of the question's name (exclusive) and of the whole question. */
  nameEnd = 0
  questionEnd = 0
  qtype = 0
  qclass = 0
  edns = false
  /** The client's EDNS UDP payload size (512 without EDNS). */
  udpSize = 512
  /** FNV-1a of the question bytes (as sent, case kept) and the EDNS flag: the cache key. */
  hash = 0
}

/** Query types we refuse: zone transfers, obsolete mail queries, OPT as a question, type 0. */
function notImplementedType(qtype: number): boolean {
  return qtype === 0 || qtype === 41 || (qtype >= 251 && qtype <= 254)
}

/** Read `msg` into `q`. Never throws, whatever the bytes. */
export function parseQuery(msg: Buffer, q: Query): Parse {
  const len = msg.length
  q.nameEnd = HEADER
  q.questionEnd = HEADER
  if (len < HEADER) return Parse.Drop
  const flags = (msg[2]! << 8) | msg[3]!
  q.flags = flags
  if ((flags & FLAG_QR) !== 0) return Parse.Drop
  if ((flags & 0x7800) !== 0) return Parse.NotImp // opcode other than QUERY
  // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
  if (msg[4] !== 0 || msg[5] !== 1 || msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0) {
    return Parse.FormErr
  }
  if (msg[9] !== 0 || msg[10] !== 0 || msg[11]! > 1) return Parse.FormErr
  const ar = msg[11]!
  // The question name: plain labels only (a pointer here could only point into the header).
  let off = HEADER
  let h = 0x811c9dc5
  for (;;) {
    if (off >= len) return Parse.FormErr
    const l = msg[off]!
    if (l === 0) break
    if (l > 63 || off + 1 + l > len || off + l + 2 - HEADER > MAX_NAME) return Parse.FormErr
    const end = off + 1 + l
    for (let i = off; i < end; i++) h = Math.imul(h ^ msg[i]!, 0x01000193)
    off = end
  }
  q.nameEnd = off + 1
  if (q.nameEnd + 4 > len) return Parse.FormErr
  q.qtype = (msg[off + 1]! << 8) | msg[off + 2]!
  q.qclass = (msg[off + 3]! << 8) | msg[off + 4]!
  for (let i = off + 1; i <= off + 4; i++) h = Math.imul(h ^ msg[i]!, 0x01000193)
  q.questionEnd = q.nameEnd + 4
  q.edns = false
  q.udpSize = 512
  if (ar === 1) {
    // Must be an OPT pseudo-record owned by the root (anything else, e.g. TSIG, we do not do).
    const o = q.questionEnd
    if (o + 11 > len || msg[o] !== 0 || msg[o + 1] !== 0 || msg[o + 2] !== 41) {
      return Parse.FormErr
    }
    if (o + 11 + ((msg[o + 9]! << 8) | msg[o + 10]!) > len) return Parse.FormErr
    q.edns = true
    q.udpSize = Math.min(4096, Math.max(512, (msg[o + 3]! << 8) | msg[o + 4]!))
    h = Math.imul(h ^ 0xff, 0x01000193)
  }
  q.hash = h
  if (q.qclass !== 1) return Parse.NotImp
  if (notImplementedType(q.qtype)) return Parse.NotImp
  return Parse.Ok
}

/** True when `question` (bytes after the header) is exactly the query's question. */
export function sameQuestion(msg: Buffer, q: Query, question: Buffer): boolean {
  const n = q.questionEnd - HEADER
  if (question.length !== n) return false
  for (let i = 0; i < n; i++) if (question[i] !== msg[HEADER + i]) return false
  return true
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

const EMPTY = Buffer.alloc(0)

/**
 * A whole reply for this exact question with id 0 and RD/CD clear: header, the query's own
 * question (its case kept, 0x20-safe) and `a.sections`, or, with `truncate`, TC and no records.
 */
export function buildTemplate(msg: Buffer, q: Query, a: EncodedAnswer, truncate: boolean): Buffer {
  const qlen = q.questionEnd - HEADER
  const sections = truncate ? (q.edns ? OPT_RR : EMPTY) : a.sections
  const out = Buffer.alloc(HEADER + qlen + sections.length)
  out.writeUInt16BE(a.flags | (truncate ? FLAG_TC : 0), 2)
  out.writeUInt16BE(1, 4)
  out.writeUInt16BE(truncate ? 0 : a.an, 6)
  out.writeUInt16BE(truncate ? 0 : a.ns, 8)
  out.writeUInt16BE(truncate ? (q.edns ? 1 : 0) : a.ar, 10)
  msg.copy(out, HEADER, HEADER, q.questionEnd)
  out.set(sections, HEADER + qlen)
  return out
}

/** The reply to `msg` from a template: a copy with the query's id, RD and CD. */
export function fromTemplate(msg: Buffer, template: Buffer): Buffer {
  const out = Buffer.allocUnsafe(template.length)
  out.set(template)
  out[0] = msg[0]!
  out[1] = msg[1]!
  out[2] = (template[2]! & 0xfe) | (msg[2]! & 0x01)
  out[3] = (template[3]! & 0xef) | (msg[3]! & 0x10)
  return out
}

/** A bare error answer: the query's header and question (if it parsed that far), `rcode`. */
export function errorAnswer(msg: Buffer, q: Query, rcode: number, withQuestion: boolean): Buffer {
  const qlen = withQuestion ? q.questionEnd - HEADER : 0
  const opt = withQuestion && q.edns
  const out = Buffer.allocUnsafe(HEADER + qlen + (opt ? OPT_RR.length : 0))
  out[0] = msg[0]!
  out[1] = msg[1]!
  out.writeUInt16BE(FLAG_QR | FLAG_RA | (q.flags & (0x7800 | FLAG_RD | FLAG_CD)) | rcode, 2)
  out.writeUInt16BE(withQuestion ? 1 : 0, 4)
  out.writeUInt32BE(0, 6)
  out.writeUInt16BE(opt ? 1 : 0, 10)
  if (withQuestion) msg.copy(out, HEADER, HEADER, q.questionEnd)
  if (opt) OPT_RR.copy(out, HEADER + qlen)
  return out
}

/**
 * Run storage: the bitmap as maximal runs of identical 32-bit words, kept in order.
 *
 * A run is (start word index, word value); it covers words up to the next run's start (the
 * last run ends at `nWords`). Adjacent runs always hold different words, so the form is
 * canonical. Runs live in chunks of at most MAX_RUNS entries (typed arrays), indexed by their
 * absolute start: an insertion never shifts anyone else's start, a lookup is two binary
 * searches, and an update moves at most one chunk's worth of entries.
 */

/** Most runs one chunk holds; a fuller chunk is split in two. */
export const MAX_RUNS = 512
const MIN_CAP = 4

interface Chunk {
  s: Float64Array
  w: Uint32Array
  n: number
}

function newChunk(cap: number): Chunk {
  return { s: new Float64Array(cap), w: new Uint32Array(cap), n: 0 }
}

function grow(c: Chunk, need: number): void {
  if (need <= c.s.length) return
  let cap = c.s.length
  while (cap < need) cap *= 2
  const s = new Float64Array(cap)
  const w = new Uint32Array(cap)
  s.set(c.s.subarray(0, c.n))
  w.set(c.w.subarray(0, c.n))
  c.s = s
  c.w = w
}

export class RunList {
  readonly nWords: number
  chunks: Chunk[] = []
  /** Cursor set by find()/first()/next(): chunk index and run index. */
  ci = 0
  ri = 0

  constructor(nWords: number) {
    this.nWords = nWords
  }

  /** Append a run at the end (used while building). */
  push(start: number, word: number): void {
    let c = this.chunks[this.chunks.length - 1]
    if (c === undefined || c.n >= MAX_RUNS) {
      c = newChunk(MIN_CAP)
      this.chunks.push(c)
    }
    grow(c, c.n + 1)
    c.s[c.n] = start
    c.w[c.n] = word
    c.n++
  }

  get count(): number {
    let n = 0
    for (const c of this.chunks) n += c.n
    return n
  }

  /** Point the cursor at the run containing word index `w`. */
  find(w: number): void {
    const chunks = this.chunks
    let lo = 0
    let hi = chunks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (chunks[mid]!.s[0]! <= w) lo = mid
      else hi = mid - 1
    }
    const c = chunks[lo]!
    const s = c.s
    let a = 0
    let b = c.n - 1
    while (a < b) {
      const mid = (a + b + 1) >> 1
      if (s[mid]! <= w) a = mid
      else b = mid - 1
    }
    this.ci = lo
    this.ri = a
  }

  first(): void {
    this.ci = 0
    this.ri = 0
  }

  /** Advance the cursor; false when it was on the last run. */
  next(): boolean {
    const c = this.chunks[this.ci]!
    if (this.ri + 1 < c.n) {
      this.ri++
      return true
    }
    if (this.ci + 1 < this.chunks.length) {
      this.ci++
      this.ri = 0
      return true
    }
    return false
  }

  start(): number {
    return this.chunks[this.ci]!.s[this.ri]!
  }

  word(): number {
    return this.chunks[this.ci]!.w[this.ri]!
  }

  /** Exclusive end (word index) of the run under the cursor. */
  end(): number {
    return this.endOf(this.ci, this.ri)
  }

  private endOf(ci: number, ri: number): number {
    const c = this.chunks[ci]!
    if (ri + 1 < c.n) return c.s[ri + 1]!
    const nc = this.chunks[ci + 1]
    return nc === undefined ? this.nWords : nc.s[0]!
  }

  /** Word value of word index `w`. */
  wordAt(w: number): number {
    this.find(w)
    return this.word()
  }

  /** Set word index `w` to `val`, keeping runs maximal. */
  setWord(w: number, val: number): void {
    this.find(w)
    this.update(w, val)
  }

  /** Like setWord, when the cursor already points at the run containing `w`. */
  update(w: number, val: number): void {
    const ci = this.ci
    const r = this.ri
    const c = this.chunks[ci]!
    const old = c.w[r]!
    if (old === val) return
    const s = c.s[r]!
    const e = this.endOf(ci, r)
    const prevChunk = this.chunks[ci - 1]
    const prevWord = r > 0 ? c.w[r - 1]! : prevChunk ? prevChunk.w[prevChunk.n - 1]! : -1
    const nextChunk = this.chunks[ci + 1]
    const nextWord = r + 1 < c.n ? c.w[r + 1]! : nextChunk ? nextChunk.w[0]! : -1
    if (e - s === 1) {
      if (prevWord === val) {
        if (nextWord === val) this.removeAfter(ci, r)
        this.removeAt(ci, r)
      } else {
        c.w[r] = val
        if (nextWord === val) this.removeAfter(ci, r)
      }
    } else if (w === s) {
      c.s[r] = w + 1
      if (prevWord !== val) this.insertAt(ci, r, w, val, -1, 0)
    } else if (w === e - 1) {
      if (nextWord === val) {
        if (r + 1 < c.n) c.s[r + 1] = w
        else nextChunk!.s[0] = w
      } else this.insertAt(ci, r + 1, w, val, -1, 0)
    } else {
      this.insertAt(ci, r + 1, w, val, w + 1, old)
    }
  }

  /** Remove the run following (ci, r). */
  private removeAfter(ci: number, r: number): void {
    const c = this.chunks[ci]!
    if (r + 1 < c.n) this.removeAt(ci, r + 1)
    else this.removeAt(ci + 1, 0)
  }

  private removeAt(ci: number, r: number): void {
    const c = this.chunks[ci]!
    c.s.copyWithin(r, r + 1, c.n)
    c.w.copyWithin(r, r + 1, c.n)
    c.n--
    if (c.n === 0) {
      this.chunks.splice(ci, 1)
      return
    }
    const nc = this.chunks[ci + 1]
    if (c.n < MAX_RUNS / 4 && nc !== undefined && c.n + nc.n <= MAX_RUNS / 2) {
      grow(c, c.n + nc.n)
      c.s.set(nc.s.subarray(0, nc.n), c.n)
      c.w.set(nc.w.subarray(0, nc.n), c.n)
      c.n += nc.n
      this.chunks.splice(ci + 1, 1)
    }
  }

  /** Insert one run (or two when s2 >= 0) at position r of chunk ci. */
  private insertAt(ci: number, r: number, s1: number, w1: number, s2: number, w2: number): void {
    let c = this.chunks[ci]!
    const k = s2 >= 0 ? 2 : 1
    if (c.n + k > MAX_RUNS) {
      const half = c.n >> 1
      const right = newChunk(Math.max(MIN_CAP, c.n - half + 2))
      right.s.set(c.s.subarray(half, c.n))
      right.w.set(c.w.subarray(half, c.n))
      right.n = c.n - half
      c.n = half
      this.chunks.splice(ci + 1, 0, right)
      if (r > half) {
        r -= half
        c = right
      }
    }
    grow(c, c.n + k)
    c.s.copyWithin(r + k, r, c.n)
    c.w.copyWithin(r + k, r, c.n)
    c.s[r] = s1
    c.w[r] = w1
    if (k === 2) {
      c.s[r + 1] = s2
      c.w[r + 1] = w2
    }
    c.n += k
  }

  clone(): RunList {
    const out = new RunList(this.nWords)
    out.chunks = this.chunks.map((c) => ({ s: c.s.slice(0, c.n), w: c.w.slice(0, c.n), n: c.n }))
    return out
  }

  /** Approximate bytes held by the run arrays. */
  get byteLength(): number {
    let n = 0
    for (const c of this.chunks) n += c.s.byteLength + c.w.byteLength
    return n
  }
}

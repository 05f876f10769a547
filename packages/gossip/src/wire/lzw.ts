/**
 * LZW in the format of Go's compress/lzw with LSB bit order and 8-bit literals, as memberlist
 * uses for its compress message (Algo 0): a leading clear code, 9..12-bit codes, a clear code
 * when the table fills, and an end-of-information code.
 */
import { WireError } from './errors.js'

const CLEAR = 256
const EOF = 257
const MAX_CODE = 4095
const MAX_WIDTH = 12

const TABLE_SIZE = 1 << 14
const TABLE_MASK = TABLE_SIZE - 1
// One table reused by every call (compression is synchronous); `used` lists the filled slots
// so clearing costs the entries written, not the whole table.
const table = new Uint32Array(TABLE_SIZE)
const used = new Uint16Array(MAX_CODE + 1)
let nUsed = 0
function clearTable(): void {
  for (let i = 0; i < nUsed; i++) table[used[i]!] = 0
  nUsed = 0
}

/** Compresses bytes exactly as Go's lzw.NewWriter(w, lzw.LSB, 8). */
export function lzwCompress(input: Uint8Array): Uint8Array {
  // each code is at most 12 bits and stands for at least one input byte
  const out = new Uint8Array(Math.ceil((input.length + 3) * 1.5) + 4)
  let o = 0
  let bits = 0
  let nBits = 0
  let width = 9
  let hi = EOF
  let overflow = 512
  // open-addressing table of (key << 12 | code), key = prefix code << 8 | literal; 0 = empty
  clearTable()
  const write = (code: number): void => {
    bits |= code << nBits
    nBits += width
    while (nBits >= 8) {
      out[o++] = bits & 0xff
      bits >>>= 8
      nBits -= 8
    }
  }
  // returns true when the table was reset
  const incHi = (): boolean => {
    hi++
    if (hi === overflow) {
      width++
      overflow *= 2
    }
    if (hi === MAX_CODE) {
      write(CLEAR)
      width = 9
      hi = EOF
      overflow = 512
      clearTable()
      return true
    }
    return false
  }
  write(CLEAR)
  if (input.length === 0) {
    write(EOF)
  } else {
    let code = input[0]!
    outer: for (let i = 1; i < input.length; i++) {
      const lit = input[i]!
      const key = (code << 8) | lit
      let h = ((key >>> 12) ^ key) & TABLE_MASK
      for (let t = table[h]!; t !== 0; t = table[h]!) {
        if (t >>> 12 === key) {
          code = t & MAX_CODE
          continue outer
        }
        h = (h + 1) & TABLE_MASK
      }
      write(code)
      code = lit
      if (incHi()) continue
      table[h] = ((key << 12) | hi) >>> 0
      used[nUsed++] = h
    }
    write(code)
    incHi()
    write(EOF)
  }
  if (nBits > 0) out[o++] = bits & 0xff
  clearTable()
  return out.slice(0, o)
}

// Decoder state reused across calls (decompression is synchronous).
const prefix = new Uint16Array(4096)
const suffix = new Uint8Array(4096)
const stack = new Uint8Array(4096)
let scratch = new Uint8Array(65536)

/** Decompresses Go compress/lzw (LSB, 8) data; refuses output over `maxOutput` bytes. */
export function lzwDecompress(input: Uint8Array, maxOutput = 16 * 1024 * 1024): Uint8Array {
  let out = scratch
  let total = 0
  let width = 9
  let hi = EOF
  let overflow = 512
  let last = -1
  let bits = 0
  let nBits = 0
  let pos = 0
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) {
        throw new WireError('lzw', 'compressed data ended without an end code')
      }
      bits |= input[pos++]! << nBits
      nBits += 8
    }
    const code = bits & ((1 << width) - 1)
    bits >>>= width
    nBits -= width
    if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 512
      last = -1
      continue
    }
    if (code === EOF) break
    // expand the code backwards into the end of `stack`
    let i = stack.length
    if (code < CLEAR) {
      stack[--i] = code
      if (last !== -1) {
        suffix[hi] = code
        prefix[hi] = last
      }
    } else if (code <= hi && last !== -1) {
      let c = code
      if (code === hi) {
        // the code being defined: last expansion followed by its first byte
        let h = last
        while (h >= CLEAR) h = prefix[h]!
        stack[--i] = h
        c = last
      }
      while (c >= CLEAR) {
        stack[--i] = suffix[c]!
        c = prefix[c]!
      }
      stack[--i] = c
      suffix[hi] = c
      prefix[hi] = last
    } else {
      throw new WireError('lzw', 'invalid LZW code')
    }
    const n = stack.length - i
    if (total + n > maxOutput) {
      throw new WireError('lzw-size', `decompressed data exceeds ${maxOutput} bytes`)
    }
    if (total + n > out.length) {
      const next = new Uint8Array(Math.min(maxOutput, Math.max(out.length * 2, total + n)))
      next.set(out.subarray(0, total))
      out = next
      if (out.length <= 4 * 1024 * 1024) scratch = out
    }
    out.set(stack.subarray(i), total)
    total += n
    last = code
    hi++
    if (hi >= overflow) {
      if (width === MAX_WIDTH) hi = overflow - 1
      else {
        width++
        overflow *= 2
      }
    }
  }
  return out.slice(0, total)
}

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

class BitWriter {
  out: number[] = []
  private bits = 0
  private nBits = 0
  write(code: number, width: number): void {
    this.bits |= code << this.nBits
    this.nBits += width
    while (this.nBits >= 8) {
      this.out.push(this.bits & 0xff)
      this.bits >>>= 8
      this.nBits -= 8
    }
  }
  flush(): Uint8Array {
    if (this.nBits > 0) this.out.push(this.bits & 0xff)
    return Uint8Array.from(this.out)
  }
}

/** Compresses bytes exactly as Go's lzw.NewWriter(w, lzw.LSB, 8). */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const w = new BitWriter()
  let width = 9
  let hi = EOF
  let overflow = 512
  let table = new Map<number, number>()
  w.write(CLEAR, width)
  if (input.length === 0) {
    w.write(EOF, width)
    return w.flush()
  }
  // returns true when the table was reset
  const incHi = (): boolean => {
    hi++
    if (hi === overflow) {
      width++
      overflow *= 2
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR, width)
      width = 9
      hi = EOF
      overflow = 512
      table = new Map()
      return true
    }
    return false
  }
  let code = input[0]!
  for (let i = 1; i < input.length; i++) {
    const lit = input[i]!
    const key = (code << 8) | lit
    const hit = table.get(key)
    if (hit !== undefined) {
      code = hit
      continue
    }
    w.write(code, width)
    code = lit
    if (incHi()) continue
    table.set(key, hi)
  }
  w.write(code, width)
  incHi()
  w.write(EOF, width)
  return w.flush()
}

/** Decompresses Go compress/lzw (LSB, 8) data; refuses output over `maxOutput` bytes. */
export function lzwDecompress(input: Uint8Array, maxOutput = 16 * 1024 * 1024): Uint8Array {
  const prefix = new Uint16Array(4096)
  const suffix = new Uint8Array(4096)
  const out: Uint8Array[] = []
  let total = 0
  let width = 9
  let hi = EOF
  let overflow = 512
  let last = -1
  let bits = 0
  let nBits = 0
  let pos = 0
  const stack = new Uint8Array(4096)
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
    let n = 0
    if (code < CLEAR) {
      stack[0] = code
      n = 1
      if (last !== -1) {
        suffix[hi] = code
        prefix[hi] = last
      }
    } else if (code <= hi) {
      if (last === -1) throw new WireError('lzw', 'invalid LZW code')
      let c = code
      let tailLiteral = -1
      if (code === hi) {
        let h = last
        while (h >= CLEAR) h = prefix[h]!
        tailLiteral = h
        c = last
      }
      // expand c into reverse order on the stack
      const tmp: number[] = []
      while (c >= CLEAR) {
        tmp.push(suffix[c]!)
        c = prefix[c]!
      }
      tmp.push(c)
      for (let i = tmp.length - 1; i >= 0; i--) stack[n++] = tmp[i]!
      if (tailLiteral !== -1) stack[n++] = tailLiteral
      suffix[hi] = c
      prefix[hi] = last
    } else {
      throw new WireError('lzw', 'invalid LZW code')
    }
    total += n
    if (total > maxOutput) {
      throw new WireError('lzw-size', `decompressed data exceeds ${maxOutput} bytes`)
    }
    out.push(stack.slice(0, n))
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
  const result = new Uint8Array(total)
  let o = 0
  for (const part of out) {
    result.set(part, o)
    o += part.length
  }
  return result
}

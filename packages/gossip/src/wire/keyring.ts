/**
 * AES-GCM keyring and memberlist's encryption framing: `[vsn][12-byte nonce][ciphertext][tag]`.
 * Version 1 (protocol ≥ 2) has no padding; version 0 pads with PKCS#7 and is accepted on
 * decrypt. Decryption tries every key in the ring, primary first, so keys can be rotated.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto'
import { BadRequestError, NotFoundError, ConflictError } from '@libnetwork/types'
import { WireError } from './errors.js'

const NONCE = 12
const TAG = 16

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || ![16, 24, 32].includes(key.length)) {
    throw new BadRequestError(
      'gossip-key-size',
      'an encryption key must be 16, 24 or 32 bytes (AES-128/192/256)',
      { details: { length: key instanceof Uint8Array ? key.length : null } },
    )
  }
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** A set of AES keys; the first is the primary used to encrypt. */
export class Keyring {
  private keys: Uint8Array[] = []

  constructor(keys: Uint8Array[] = [], primary?: Uint8Array) {
    for (const k of keys) checkKey(k)
    if (primary) checkKey(primary)
    if (primary) this.keys.push(Uint8Array.from(primary))
    for (const k of keys) if (!this.keys.some((x) => eq(x, k))) this.keys.push(Uint8Array.from(k))
  }

  /** Adds a key for decryption (no effect if present). */
  addKey(key: Uint8Array): void {
    checkKey(key)
    if (!this.keys.some((k) => eq(k, key))) this.keys.push(Uint8Array.from(key))
  }

  /** Makes an installed key the primary (encrypting) key. */
  useKey(key: Uint8Array): void {
    checkKey(key)
    const i = this.keys.findIndex((k) => eq(k, key))
    if (i < 0) throw new NotFoundError('gossip-key-not-found', 'key is not in the keyring')
    const [k] = this.keys.splice(i, 1)
    this.keys.unshift(k!)
  }

  /** Removes a key; the primary key cannot be removed. */
  removeKey(key: Uint8Array): void {
    checkKey(key)
    const i = this.keys.findIndex((k) => eq(k, key))
    if (i < 0) throw new NotFoundError('gossip-key-not-found', 'key is not in the keyring')
    if (i === 0) throw new ConflictError('gossip-key-primary', 'cannot remove the primary key')
    this.keys.splice(i, 1)
  }

  /** Copies of the installed keys, primary first. */
  getKeys(): Uint8Array[] {
    return this.keys.map((k) => Uint8Array.from(k))
  }

  get primaryKey(): Uint8Array | undefined {
    return this.keys[0]
  }

  get size(): number {
    return this.keys.length
  }

  /** Encrypts with the primary key. `nonce` is for reproducible tests only. */
  encrypt(
    plain: Uint8Array,
    aad: Uint8Array = new Uint8Array(0),
    opts: { version?: 0 | 1; nonce?: Uint8Array } = {},
  ): Uint8Array {
    const key = this.keys[0]
    if (!key) throw new BadRequestError('gossip-key-none', 'the keyring has no keys')
    return encryptPayload(key, plain, aad, opts.version ?? 1, opts.nonce)
  }

  /** Decrypts with whichever key works. */
  decrypt(data: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (this.keys.length === 0)
      throw new BadRequestError('gossip-key-none', 'the keyring has no keys')
    for (const key of this.keys) {
      const out = decryptPayload(key, data, aad)
      if (out) return out
    }
    throw new WireError('decrypt', 'no installed key decrypts the message')
  }
}

function algo(key: Uint8Array): CipherGCMTypes {
  return `aes-${key.length * 8}-gcm` as CipherGCMTypes
}

export function encryptPayload(
  key: Uint8Array,
  plain: Uint8Array,
  aad: Uint8Array,
  version: 0 | 1,
  nonce: Uint8Array = randomBytes(NONCE),
): Uint8Array {
  let data = plain
  if (version === 0) {
    const pad = 16 - (plain.length % 16)
    data = new Uint8Array(plain.length + pad)
    data.set(plain)
    data.fill(pad, plain.length)
  }
  const c = createCipheriv(algo(key), key, nonce, { authTagLength: TAG })
  if (aad.length) c.setAAD(aad)
  const ct = Buffer.concat([c.update(data), c.final()])
  const out = new Uint8Array(1 + NONCE + ct.length + TAG)
  out[0] = version
  out.set(nonce, 1)
  out.set(ct, 1 + NONCE)
  out.set(c.getAuthTag(), 1 + NONCE + ct.length)
  return out
}

/** Returns the plaintext, or undefined when this key does not authenticate the data. */
export function decryptPayload(
  key: Uint8Array,
  data: Uint8Array,
  aad: Uint8Array,
): Uint8Array | undefined {
  if (data.length < 1 + NONCE + TAG) throw new WireError('decrypt', 'encrypted payload too short')
  const version = data[0]
  if (version !== 0 && version !== 1) {
    throw new WireError('decrypt', `unsupported encryption version ${version}`)
  }
  const nonce = data.subarray(1, 1 + NONCE)
  const ct = data.subarray(1 + NONCE, data.length - TAG)
  const tag = data.subarray(data.length - TAG)
  try {
    const d = createDecipheriv(algo(key), key, nonce, { authTagLength: TAG })
    if (aad.length) d.setAAD(aad)
    d.setAuthTag(tag)
    const plain = new Uint8Array(Buffer.concat([d.update(ct), d.final()]))
    if (version === 0) {
      const pad = plain[plain.length - 1] ?? 0
      if (pad < 1 || pad > 16 || pad > plain.length) {
        throw new WireError('decrypt', 'bad PKCS#7 padding')
      }
      return plain.subarray(0, plain.length - pad)
    }
    return plain
  } catch (err) {
    if (err instanceof WireError) throw err
    return undefined
  }
}

// Loads the Go memberlist wire samples from <repo>/../shared/fixtures/memberlist.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const fixtureDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'memberlist',
)

export interface Fixture {
  name: string
  transport: string
  length: number
  hex: string
  plaintext_hex?: string
  crypto?: { key: string; nonce: string; version: number; aad: string }
  decoded: any
}

export function load(file: string): Fixture[] {
  return (JSON.parse(readFileSync(join(fixtureDir, file), 'utf8')) as { fixtures: Fixture[] })
    .fixtures
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

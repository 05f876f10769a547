/** Structured logs: one JSON object per line on stderr, filtered by level. */
import type { Logger } from '@libnetwork/types'

// The Logger interface is the one of @libnetwork/types, which drivers and IPAMs are given.
export type { Logger }

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export function createLogger(
  level: Level = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = ORDER[level]
  const log =
    (lvl: Level) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[lvl] < min) return
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }) + '\n')
    }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

export function isLevel(v: string): v is Level {
  return v in ORDER
}

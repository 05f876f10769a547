/** Structured fields that travel with a log line. */
export type LogFields = Record<string, unknown>

/**
 * The logger every long-lived part accepts (the daemon owns the real one). Methods must not
 * throw; `noopLogger` drops everything.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

/** A logger that drops every line (the default where none is given). */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
})

import type { ControllerStore } from './contracts.js'

/**
 * A store that keeps documents in memory (deep-copied as JSON, like a real store would). Useful
 * for tests and for controllers that need no persistence across restarts.
 */
export function memoryStore(): ControllerStore & { size(): number } {
  const docs = new Map<string, string>()
  return {
    async get(key) {
      const v = docs.get(key)
      return v === undefined ? undefined : (JSON.parse(v) as unknown)
    },
    async put(key, value) {
      docs.set(key, JSON.stringify(value))
    },
    async delete(key) {
      docs.delete(key)
    },
    async list(prefix) {
      return [...docs.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, v]) => ({ key, value: JSON.parse(v) as unknown }))
    },
    size: () => docs.size,
  }
}

import type { SandboxOS } from '@libnetwork/controller'

/** Sandboxes kept in memory (no kernel): namespaces are names in a set. */
export function memoryOS(): SandboxOS {
  const ns = new Set<string>()
  return {
    create: async (key) => {
      ns.add(key)
      return `/run/netns/${key}`
    },
    destroy: async (key) => void ns.delete(key),
    path: (key) => `/run/netns/${key}`,
    list: async (prefix) => [...ns].filter((k) => k.startsWith(prefix)),
    addInterface: async () => {},
    removeInterface: async () => ({ deleted: Promise.resolve() }),
    interfaces: async () => [],
    setGateway: async () => {},
  }
}

import type { ClusterTables, Driver, TableEvent, TableWatch } from '@libnetwork/driverapi'

/**
 * A cluster's tables as one in-memory map shared by several drivers (one per "host"): every
 * put or delete of one member reaches every other member's `onTableEvent` at once, as gossip
 * would, and `entries` lists what the map holds. Network group joins and leaves are counted.
 */
export class FakeCluster {
  /** The entries, by `<table>\0<network>\0<key>`. */
  readonly entries = new Map<string, { value: Uint8Array; owner: string }>()
  /** The drivers that receive the events, by node name (add each after making it). */
  readonly members = new Map<string, Driver>()
  /** Joins minus leaves of each network's group, by `<node>\0<network>`. */
  readonly groups = new Map<string, number>()

  /** The `ClusterTables` of member `nodeName`, whose tunnel endpoint is `advertiseAddress`. */
  tables(nodeName: string, advertiseAddress: string): ClusterTables {
    const k = (table: string, nid: string, key: string) => `${table}\0${nid}\0${key}`
    const emit = (ev: Omit<TableEvent, 'local'>) => {
      for (const [name, d] of this.members)
        if (name !== nodeName) d.onTableEvent?.({ ...ev, local: false })
    }
    return {
      nodeName,
      advertiseAddress,
      joinNetwork: async (nid) => {
        const g = `${nodeName}\0${nid}`
        this.groups.set(g, (this.groups.get(g) ?? 0) + 1)
      },
      leaveNetwork: async (nid) => {
        const g = `${nodeName}\0${nid}`
        const n = (this.groups.get(g) ?? 0) - 1
        if (n < 0) throw new Error(`${nodeName} left ${nid} more often than it joined`)
        if (n === 0) this.groups.delete(g)
        else this.groups.set(g, n)
      },
      put: async (table, networkId, key, value) => {
        const old = this.entries.get(k(table, networkId, key))
        this.entries.set(k(table, networkId, key), { value, owner: nodeName })
        emit({ type: old ? 'update' : 'create', table, networkId, key, value, owner: nodeName })
      },
      delete: async (table, networkId, key) => {
        const old = this.entries.get(k(table, networkId, key))
        if (!old) return
        this.entries.delete(k(table, networkId, key))
        emit({ type: 'delete', table, networkId, key, value: old.value, owner: nodeName })
      },
      entries: (table, networkId) =>
        [...this.entries]
          .filter(([key]) => key.startsWith(`${table}\0${networkId}\0`))
          .map(([key, e]) => ({
            key: key.split('\0')[2]!,
            value: e.value,
            owner: e.owner,
            local: e.owner === nodeName,
          })),
      watch: (): TableWatch => {
        throw new Error('the fake cluster delivers through onTableEvent only')
      },
    }
  }
}

/**
 * The narrow view of the cluster's gossip tables (NetworkDB) that a driver may use. The daemon's
 * cluster agent implements it; a driver never imports networkdb. Every table is scoped to one
 * network: entries reach only the hosts that joined that network's group.
 */

/** A change to an entry of a cluster table, as seen on this host. */
export interface TableEvent {
  type: 'create' | 'update' | 'delete'
  table: string
  networkId: string
  key: string
  /** The entry's value (for a delete: the last value known). */
  value: Uint8Array
  /** The cluster node that owns (wrote) the entry. */
  owner: string
  /** The entry was written by this host. */
  local: boolean
}

export interface TableWatchOptions {
  /** Ends the watch. */
  signal?: AbortSignal
}

/** A live subscription to one table: iterate it, or `close()` it. */
export interface TableWatch extends AsyncIterable<TableEvent> {
  close(): void
}

export interface ClusterTables {
  /** This host's name in the cluster (the owner of the entries it writes). */
  readonly nodeName: string
  /** The address other hosts reach this host on (its advertise address), e.g. a VXLAN VTEP. */
  readonly advertiseAddress: string
  /**
   * Take part in `networkId`'s gossip group; resolves once the group's current entries have
   * arrived (or none exist). Calls are counted: each join needs a matching leave.
   */
  joinNetwork(networkId: string, opts?: { signal?: AbortSignal }): Promise<void>
  /** Leave the group after the last matching join; this host's entries are withdrawn. */
  leaveNetwork(networkId: string): Promise<void>
  /** Create or update this host's entry `key` in `table` of `networkId`. */
  put(table: string, networkId: string, key: string, value: Uint8Array): Promise<void>
  /** Delete this host's entry (a missing entry is no error). */
  delete(table: string, networkId: string, key: string): Promise<void>
  /** The entries of `table` known here now (every owner). */
  entries(
    table: string,
    networkId: string,
  ): Array<{ key: string; value: Uint8Array; owner: string; local: boolean }>
  /**
   * Changes to `table` (every network this host joined) from now on. Existing entries are not
   * replayed: read them with `entries` after the watch is set up.
   */
  watch(table: string, opts?: TableWatchOptions): TableWatch
}

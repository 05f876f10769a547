/**
 * The part of etcd3's Lease this class uses, declared here so that the published types name
 * neither etcd3 (an optional peer dependency that a user of the other stores does not install)
 * nor Node's Buffer (the values are Buffers at run time).
 */
interface Lease {
  grant(): Promise<string>
  put(key: string): { value(v: Buffer): { exec(): Promise<{ header: { revision: string } }> } }
  keepaliveOnce(): Promise<unknown>
  on(event: 'lost', handler: (err: Error) => void): unknown
  revoke(): Promise<unknown>
}

interface LeaseHooks {
  prepare(key: string, value: Uint8Array): { key: string; value: Uint8Array }
  call<T>(op: string, fn: () => Promise<T>): Promise<T>
  ended(): void
}

/** An etcd lease: keys put through it are removed by etcd when the lease ends. */
export class EtcdLease {
  #lease: Lease
  #hooks: LeaseHooks

  /** @internal Made by `EtcdStore.lease()` with an etcd3 Lease. */
  constructor(lease: object, hooks: LeaseHooks) {
    this.#lease = lease as Lease
    this.#hooks = hooks
  }

  /** The lease id, as etcd prints it (decimal). */
  async id(): Promise<string> {
    return this.#lease.grant()
  }

  /** Write `key` attached to this lease; returns the new version. */
  async put(key: string, value: Uint8Array): Promise<number> {
    const p = this.#hooks.prepare(key, value)
    const res = await this.#hooks.call('lease put', () =>
      this.#lease
        .put(p.key)
        .value(p.value as Buffer)
        .exec(),
    )
    return Number(res.header.revision)
  }

  /** Renew once now (useful when automatic keep-alive is off). */
  async keepAlive(): Promise<void> {
    await this.#hooks.call('lease keepalive', () => this.#lease.keepaliveOnce())
  }

  /** Called once if the lease is lost (expired or revoked elsewhere). */
  onLost(handler: (err: Error) => void): void {
    this.#lease.on('lost', handler)
  }

  /** End the lease now: its keys are deleted. Closing the store revokes its leases too. */
  async revoke(): Promise<void> {
    await this.#hooks.call('lease revoke', () => this.#lease.revoke())
    this.#hooks.ended()
  }
}

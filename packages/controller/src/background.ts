import { UnavailableError } from '@libnetwork/types'

/**
 * Work that goes on after the operation that started it has answered, keyed by what it frees
 * (a sandbox id, a namespace key). The key's next user waits for it (`wait`), `idle()` waits
 * for all of it, and `settled()` also reports, once, what failed.
 */
export class Background {
  readonly #running = new Map<string, Promise<void>>()
  readonly #failures: unknown[] = []

  /** @param code, what: the UnavailableError `settled()` throws: "... removal(s) of `what`" */
  constructor(
    private readonly code: string,
    private readonly what: string,
  ) {}

  run(key: string, work: Promise<void>): void {
    const done: Promise<void> = work
      .catch((err: unknown) => void this.#failures.push(err))
      .finally(() => {
        if (this.#running.get(key) === done) this.#running.delete(key)
      })
    this.#running.set(key, done)
  }

  has(key: string): boolean {
    return this.#running.has(key)
  }

  /** Settles when the work of `key` (if any) is done. */
  wait(key: string): Promise<void> | undefined {
    return this.#running.get(key)
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values())
  }

  async settled(): Promise<void> {
    await this.idle()
    if (this.#failures.length === 0) return
    const failures = this.#failures.splice(0).map(String)
    throw new UnavailableError(
      this.code,
      `${failures.length} background removal(s) of ${this.what} failed: ${failures.join('; ')}`,
      { details: { failures } },
    )
  }
}

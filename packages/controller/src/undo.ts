/** A stack of compensating steps, run in reverse when an operation fails half-way. */
export class Undo {
  readonly #steps: Array<() => unknown> = []

  push(step: () => unknown): void {
    this.#steps.push(step)
  }

  /** Run every step, newest first; failures of compensations are collected, not thrown. */
  async run(): Promise<unknown[]> {
    const failures: unknown[] = []
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!
      try {
        await step()
      } catch (err) {
        failures.push(err)
      }
    }
    return failures
  }
}

/** A FIFO mutex: operations on one controller never interleave. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn)
    this.#tail = result.catch(() => undefined)
    return result
  }
}

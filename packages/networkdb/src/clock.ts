/** A Lamport clock: a counter that only moves forward and jumps past every time it witnesses. */
export class LamportClock {
  #time = 0

  /** The current time. */
  get time(): number {
    return this.#time
  }

  /** Advance and return the new time, for a local event. */
  increment(): number {
    return ++this.#time
  }

  /**
   * Move past a time seen in a remote event so the next local event orders after it. As in
   * serf's clock (which Go NetworkDB uses), the clock lands one past a time not below its own.
   */
  witness(v: number): void {
    if (v >= this.#time) this.#time = v + 1
  }
}

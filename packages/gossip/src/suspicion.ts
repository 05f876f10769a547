/**
 * Lifeguard suspicion timer: starts at `max` and shrinks towards `min` as independent peers
 * confirm the suspicion (k confirmations expected), following
 * timeout = max − (max − min) · log(n + 1) / log(k + 1).
 */
export class Suspicion {
  private n = 0
  private readonly confirmations = new Set<string>()
  private readonly start = Date.now()
  private timer: NodeJS.Timeout
  private done = false

  constructor(
    from: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmations.add(from)
    const timeout = k < 1 ? min : max
    this.timer = setTimeout(() => this.fire(), timeout)
  }

  private fire(): void {
    if (this.done) return
    this.done = true
    this.onTimeout(this.n)
  }

  /** Current timeout for `n` confirmations. */
  static remainingTimeout(n: number, k: number, elapsed: number, min: number, max: number): number {
    const frac = k < 1 ? 1 : Math.log(n + 1) / Math.log(k + 1)
    const raw = max - frac * (max - min)
    const timeout = Math.max(min, Math.floor(raw))
    return timeout - elapsed
  }

  /** Records a confirmation; true when it was new and shortened the timer. */
  confirm(from: string): boolean {
    if (this.done || this.n >= this.k || this.confirmations.has(from)) return false
    this.confirmations.add(from)
    this.n++
    const remaining = Suspicion.remainingTimeout(
      this.n,
      this.k,
      Date.now() - this.start,
      this.min,
      this.max,
    )
    clearTimeout(this.timer)
    if (remaining > 0) this.timer = setTimeout(() => this.fire(), remaining)
    else setImmediate(() => this.fire())
    return true
  }

  cancel(): void {
    this.done = true
    clearTimeout(this.timer)
  }
}

/** memberlist's suspicion timeout: mult × max(1, log10(max(1, n))) × probe interval. */
export function suspicionTimeout(mult: number, n: number, intervalMs: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, n)))
  return Math.floor(mult * scale * intervalMs)
}

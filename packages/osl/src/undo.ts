/** A stack of compensating actions: run in reverse when a multi-step change fails. */
export class Undo {
  private readonly steps: (() => void)[] = []

  push(step: () => void): void {
    this.steps.push(step)
  }

  /** Undo everything done so far; errors of single steps are collected, not thrown. */
  rollback(): unknown[] {
    const errors: unknown[] = []
    while (this.steps.length) {
      const step = this.steps.pop()!
      try {
        step()
      } catch (err) {
        errors.push(err)
      }
    }
    return errors
  }
}

import type { EndpointInfo, NetworkInfo, SandboxInfo } from './model.js'

/** The events a controller emits, by name. */
export interface ControllerEvents {
  'network:create': NetworkInfo
  'network:delete': NetworkInfo
  'endpoint:create': EndpointInfo
  'endpoint:delete': EndpointInfo
  'endpoint:join': { endpoint: EndpointInfo; sandbox: SandboxInfo }
  'endpoint:leave': { endpoint: EndpointInfo; sandbox: SandboxInfo }
  'sandbox:create': SandboxInfo
  'sandbox:delete': SandboxInfo
}

export type ControllerEventName = keyof ControllerEvents
export type Listener<K extends ControllerEventName> = (event: ControllerEvents[K]) => void

/** A small typed event emitter; a throwing listener never breaks the operation that emitted. */
export class TypedEmitter {
  readonly #listeners = new Map<ControllerEventName, Set<(e: never) => void>>()

  on<K extends ControllerEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name)
    if (!set) this.#listeners.set(name, (set = new Set()))
    set.add(listener)
    return () => this.off(name, listener)
  }

  off<K extends ControllerEventName>(name: K, listener: Listener<K>): void {
    this.#listeners.get(name)?.delete(listener)
  }

  /** Whether anyone listens to `name` (so an event's copy is only made when it is wanted). */
  has(name: ControllerEventName): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0
  }

  emit<K extends ControllerEventName>(name: K, event: ControllerEvents[K]): void {
    for (const l of this.#listeners.get(name) ?? []) {
      try {
        ;(l as Listener<K>)(event)
      } catch {
        // listeners are the caller's business
      }
    }
  }
}

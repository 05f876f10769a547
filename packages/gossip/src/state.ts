/**
 * Membership state: the node table and memberlist's alive/suspect/dead transitions, with
 * refutation by incarnation and Lifeguard suspicion. Network I/O lives in subclasses.
 */
import { IP } from '@libnetwork/types'
import type { AliveMsg, DeadMsg, SuspectMsg, Message } from './wire/messages.js'
import { encodeMessage } from './wire/messages.js'
import { TransmitLimitedQueue } from './broadcast.js'
import { Suspicion, suspicionTimeout } from './suspicion.js'
import type { Member, MemberEvent, NodeStateName, ResolvedConfig } from './config.js'
import { Metrics } from './metrics.js'

export interface NodeRecord {
  name: string
  addr: Uint8Array
  port: number
  meta: Uint8Array
  incarnation: number
  state: NodeStateName
  stateChange: number
  vsn: Uint8Array
}

const EMPTY = new Uint8Array(0)
/** Protocol versions this implementation understands (memberlist's ProtocolVersionMin/Max). */
export const PROTOCOL_MIN = 1
export const PROTOCOL_MAX = 5

function bytesEq(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return (a?.length ?? 0) === (b?.length ?? 0)
  return a.length === b.length && a.every((v, i) => v === b[i])
}

export function toMember(n: NodeRecord): Member {
  const v = n.vsn
  return Object.freeze({
    name: n.name,
    addr: n.addr.length === 4 || n.addr.length === 16 ? IP.fromBytes(n.addr) : IP.parse('0.0.0.0'),
    port: n.port,
    meta: Uint8Array.from(n.meta),
    state: n.state,
    incarnation: n.incarnation,
    protocol: [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0] as const,
    delegateVersion: [v[3] ?? 0, v[4] ?? 0, v[5] ?? 0] as const,
  })
}

type Listener = (e: MemberEvent) => void

export abstract class MembershipCore {
  protected readonly nodes: NodeRecord[] = []
  protected readonly nodeMap = new Map<string, NodeRecord>()
  protected incarnation = 0
  protected readonly queue: TransmitLimitedQueue
  protected readonly suspicions = new Map<string, Suspicion>()
  protected awareness = 0
  protected leaving = false
  protected probeIndex = 0
  private readonly listeners = new Set<Listener>()
  /** Counters of traffic and of rejected input. */
  readonly metrics = new Metrics()

  constructor(protected readonly cfg: ResolvedConfig) {
    this.queue = new TransmitLimitedQueue({
      numNodes: () => this.nodeCount(),
      retransmitMult: cfg.retransmitMult,
    })
  }

  /**
   * memberlist's numNodes: every node in the table, this one included, dead and left ones too
   * until they are reaped (gossipToTheDeadTime). Scales suspicion timeouts, retransmits and the
   * push/pull interval, as in memberlist.
   */
  protected nodeCount(): number {
    return this.nodes.length
  }

  /** Members not known dead or left (including this node). */
  estimateNumNodes(): number {
    let n = 0
    for (const x of this.nodes) if (x.state === 'alive' || x.state === 'suspect') n++
    return n
  }

  protected onEvent(l: Listener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  protected emit(e: MemberEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e)
      } catch {
        this.metrics.count('listenerErrors')
      }
    }
  }

  /** Awareness multiplier applied to timeouts (1 = healthy). */
  protected scale(ms: number): number {
    return ms * (this.awareness + 1)
  }

  protected applyAwareness(delta: number): void {
    this.awareness = Math.min(
      this.cfg.awarenessMaxMultiplier - 1,
      Math.max(0, this.awareness + delta),
    )
  }

  protected broadcastMsg(node: string, m: Message, finished?: () => void): void {
    this.queue.queueBroadcast({
      message: encodeMessage(m),
      name: node,
      ...(finished ? { finished } : {}),
    })
  }

  protected abstract localAlive(): AliveMsg

  /** Handles an alive message; `bootstrap` for our own initial state. */
  aliveNode(a: AliveMsg, bootstrap = false, finished?: () => void): void {
    const isLocal = a.node === this.cfg.name
    if (this.leaving && isLocal) return
    // memberlist speaks protocol 2 and understands 1..5: refuse nodes whose range misses ours
    if (a.vsn && a.vsn.length >= 3 && (a.vsn[1]! < PROTOCOL_MIN || a.vsn[0]! > PROTOCOL_MAX)) {
      this.metrics.count('incompatibleProtocol')
      return
    }
    let n = this.nodeMap.get(a.node)
    let isNew = false
    if (!n) {
      if (a.addr.length !== 4 && a.addr.length !== 16) {
        this.metrics.count('rejectedAlive')
        return
      }
      n = {
        name: a.node,
        addr: a.addr,
        port: a.port,
        meta: EMPTY,
        incarnation: 0,
        state: 'dead',
        stateChange: Date.now(),
        vsn: a.vsn ?? Uint8Array.of(1, 5, 2, 0, 0, 0),
      }
      // insert at a random position so probe order differs per node
      const at = Math.floor(Math.random() * (this.nodes.length + 1))
      this.nodes.splice(at, 0, n)
      if (at <= this.probeIndex && this.nodes.length > 1) this.probeIndex++
      this.nodeMap.set(a.node, n)
      isNew = true
    } else if (!bytesEq(n.addr, a.addr) || n.port !== a.port) {
      const reclaim =
        n.state === 'left' ||
        (n.state === 'dead' &&
          this.cfg.deadNodeReclaimTime > 0 &&
          Date.now() - n.stateChange > this.cfg.deadNodeReclaimTime)
      if (!reclaim || isLocal) {
        this.metrics.count('addressConflicts')
        return
      }
      n.addr = a.addr
      n.port = a.port
      if (a.incarnation <= n.incarnation) n.incarnation = a.incarnation - 1
    }
    if (isLocal && !bootstrap) {
      if (a.incarnation < n.incarnation) return
      if (a.incarnation === n.incarnation && bytesEq(a.meta, n.meta) && n.state === 'alive') return
      this.refute(n, a.incarnation)
      return
    }
    if (!isNew && !bootstrap && a.incarnation <= n.incarnation) return
    this.suspicions.get(a.node)?.cancel()
    this.suspicions.delete(a.node)
    this.broadcastMsg(a.node, a, finished)
    const oldState = n.state
    const oldMeta = n.meta
    n.incarnation = a.incarnation
    n.meta = a.meta ?? EMPTY
    if (a.vsn && a.vsn.length >= 6) n.vsn = a.vsn
    if (n.state !== 'alive') {
      n.state = 'alive'
      n.stateChange = Date.now()
    }
    if (oldState === 'dead' || oldState === 'left') this.emit({ type: 'join', member: toMember(n) })
    else if (!bytesEq(oldMeta, n.meta)) this.emit({ type: 'update', member: toMember(n) })
  }

  /** Handles a suspect message (Lifeguard: confirmations shorten the timer). */
  suspectNode(s: SuspectMsg): void {
    const n = this.nodeMap.get(s.node)
    if (!n || s.incarnation < n.incarnation) return
    const existing = this.suspicions.get(s.node)
    if (existing) {
      if (existing.confirm(s.from)) this.broadcastMsg(s.node, s)
      return
    }
    if (n.state !== 'alive') return
    if (s.node === this.cfg.name) {
      this.refute(n, s.incarnation)
      return
    }
    this.broadcastMsg(s.node, s)
    n.incarnation = s.incarnation
    n.state = 'suspect'
    const changeTime = (n.stateChange = Date.now())
    this.metrics.count('suspected')
    const count = this.nodeCount()
    const k = count - 2 < this.cfg.suspicionMult - 2 ? 0 : this.cfg.suspicionMult - 2
    const min = suspicionTimeout(this.cfg.suspicionMult, count, this.cfg.probeInterval)
    const max = this.cfg.suspicionMaxTimeoutMult * min
    const incarnation = s.incarnation
    this.suspicions.set(
      s.node,
      new Suspicion(s.from, k, min, max, () => {
        this.suspicions.delete(s.node)
        const cur = this.nodeMap.get(s.node)
        if (cur && cur.state === 'suspect' && cur.stateChange === changeTime) {
          this.deadNode({ type: 'dead', node: s.node, incarnation, from: this.cfg.name })
        }
      }),
    )
  }

  /** Handles a dead message; `from === node` or `from === ''` is a graceful leave. */
  deadNode(d: DeadMsg): void {
    const n = this.nodeMap.get(d.node)
    if (!n || d.incarnation < n.incarnation) return
    this.suspicions.get(d.node)?.cancel()
    this.suspicions.delete(d.node)
    if (n.state === 'dead' || n.state === 'left') return
    if (d.node === this.cfg.name) {
      if (!this.leaving) {
        this.refute(n, d.incarnation)
        return
      }
      this.broadcastMsg(d.node, d, this.leaveFinished)
    } else this.broadcastMsg(d.node, d)
    n.incarnation = d.incarnation
    n.state = d.from === d.node || d.from === '' ? 'left' : 'dead'
    n.stateChange = Date.now()
    if (n.state === 'dead') this.metrics.count('declaredDead')
    this.emit({ type: 'leave', member: toMember(n) })
  }

  protected leaveFinished?: () => void

  /** We are accused: raise our incarnation above the accusation and announce ourselves alive. */
  protected refute(me: NodeRecord, accused: number): void {
    this.incarnation = Math.max(this.incarnation, accused) + 1
    me.incarnation = this.incarnation
    this.applyAwareness(1)
    this.metrics.count('refutations')
    const a = this.localAlive()
    a.incarnation = this.incarnation
    me.meta = a.meta ?? EMPTY
    this.broadcastMsg(me.name, a)
  }

  /** Cancels every suspicion timer. */
  protected clearSuspicions(): void {
    for (const s of this.suspicions.values()) s.cancel()
    this.suspicions.clear()
  }
}

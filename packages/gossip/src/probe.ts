/**
 * The periodic machinery: SWIM probes (direct ping, k indirect pings with nacks, TCP
 * fallback), Lifeguard awareness, gossip rounds and periodic push/pull.
 */
import { encodeMessage } from './wire/messages.js'
import { makeCompound } from './wire/packet.js'
import { NetCore } from './net.js'
import type { NodeRecord } from './state.js'

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const x = a[i]!
    a[i] = a[j]!
    a[j] = x
  }
}

export abstract class ProbeCore extends NetCore {
  private readonly timers = new Set<NodeJS.Timeout>()

  /** Runs `fn` every `interval()` ms (first run after a random stagger) until stopped. */
  protected every(interval: () => number, fn: () => Promise<void> | void): void {
    const schedule = (delay: number): void => {
      const t = setTimeout(() => {
        this.timers.delete(t)
        if (!this.running) return
        const started = Date.now()
        void Promise.resolve()
          .then(fn)
          .catch(() => this.metrics.count('loopErrors'))
          .finally(() => {
            if (this.running) schedule(Math.max(0, interval() - (Date.now() - started)))
          })
      }, delay)
      this.timers.add(t)
    }
    schedule(Math.floor(Math.random() * interval()))
  }

  protected stopTimers(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  protected startLoops(): void {
    this.every(
      () => this.cfg.probeInterval,
      () => this.probe(),
    )
    this.every(
      () => this.cfg.gossipInterval,
      () => this.gossip(),
    )
    if (this.cfg.pushPullInterval > 0) {
      this.every(
        () => pushPullScale(this.cfg.pushPullInterval, this.nodeCount()),
        () => this.periodicPushPull(),
      )
    }
  }

  /** Picks the next node in (shuffled) round-robin order and probes it. */
  protected async probe(): Promise<void> {
    for (let checked = 0; checked < this.nodes.length; checked++) {
      if (this.probeIndex >= this.nodes.length) {
        this.resetNodes()
        this.probeIndex = 0
        continue
      }
      const n = this.nodes[this.probeIndex++]!
      if (n.name === this.cfg.name || n.state === 'dead' || n.state === 'left') continue
      await this.probeNode(n)
      return
    }
  }

  /** Drops nodes dead for longer than gossipToTheDeadTime and reshuffles the probe order. */
  protected resetNodes(): void {
    const now = Date.now()
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!
      if (
        (n.state === 'dead' || n.state === 'left') &&
        now - n.stateChange > this.cfg.gossipToTheDeadTime
      ) {
        this.nodes.splice(i, 1)
        this.nodeMap.delete(n.name)
      }
    }
    shuffle(this.nodes)
  }

  protected async probeNode(n: NodeRecord): Promise<void> {
    const seq = this.nextSeq()
    const to = this.addrOf(n)
    const interval = this.scale(this.cfg.probeInterval)
    let nacks = 0
    let resolveAck!: (ok: boolean) => void
    const acked = new Promise<boolean>((r) => (resolveAck = r))
    const cancel = this.setAckHandler(
      seq,
      () => resolveAck(true),
      () => nacks++,
      interval,
      () => resolveAck(false),
    )
    const ping = encodeMessage({ type: 'ping', seqNo: seq, node: n.name })
    if (n.state === 'suspect') {
      const suspect = encodeMessage({
        type: 'suspect',
        incarnation: n.incarnation,
        node: n.name,
        from: this.cfg.name,
      })
      this.sendRaw(to, makeCompound([ping, suspect]), this.wantsCrc(n))
    } else this.sendMsg(to, ping)
    this.metrics.count('probes')
    let timer: NodeJS.Timeout | undefined
    const direct = await Promise.race([
      acked,
      new Promise<false>((r) => (timer = setTimeout(() => r(false), this.cfg.probeTimeout))),
    ])
    clearTimeout(timer)
    if (direct) {
      this.applyAwareness(-1)
      return
    }
    // indirect probes through k random live peers
    const peers = this.nodes.filter(
      (p) => p.name !== this.cfg.name && p.name !== n.name && p.state === 'alive',
    )
    shuffle(peers)
    let expectedNacks = 0
    for (const p of peers.slice(0, this.cfg.indirectChecks)) {
      const nack = (p.vsn[1] ?? 0) >= 4
      if (nack) expectedNacks++
      this.sendMsg(
        this.addrOf(p),
        encodeMessage({
          type: 'indirectPing',
          seqNo: seq,
          target: n.addr,
          port: n.port,
          node: n.name,
          nack,
        }),
      )
    }
    this.metrics.count('indirectProbes')
    let ok: boolean
    if (!this.cfg.disableTcpPings && (n.vsn[1] ?? 0) >= 3) {
      const tcp = this.tcpPing(to, n.name, seq, Math.max(1, interval - this.cfg.probeTimeout)).then(
        (r) => {
          if (r) this.metrics.count('tcpFallbackAcks')
          return r
        },
      )
      ok = await Promise.race([acked, tcp.then((r) => (r ? true : acked))])
    } else ok = await acked
    cancel()
    if (!this.running) return
    if (ok) {
      // an indirect or TCP answer is a successful probe too (memberlist: health improves)
      this.applyAwareness(-1)
      return
    }
    this.applyAwareness(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1)
    const cur = this.nodeMap.get(n.name)
    if (!cur || cur !== n || (n.state !== 'alive' && n.state !== 'suspect')) return
    this.suspectNode({
      type: 'suspect',
      incarnation: n.incarnation,
      node: n.name,
      from: this.cfg.name,
    })
  }

  /** One gossip round: broadcasts to a few random live (or recently dead) nodes. */
  protected gossip(): void {
    const now = Date.now()
    const candidates = this.nodes.filter(
      (n) =>
        n.name !== this.cfg.name &&
        (n.state === 'alive' ||
          n.state === 'suspect' ||
          now - n.stateChange < this.cfg.gossipToTheDeadTime),
    )
    shuffle(candidates)
    const overhead = (this.cfg.keyring && this.cfg.keyring.size > 0 ? 29 : 0) + 5
    for (const n of candidates.slice(0, this.cfg.gossipNodes)) {
      const msgs = this.getBroadcasts(2, this.cfg.udpBufferSize - 2 - overhead)
      if (msgs.length === 0) return
      const body = msgs.length === 1 ? msgs[0]! : makeCompound(msgs.slice(0, 255))
      this.sendRaw(this.addrOf(n), body, this.wantsCrc(n))
    }
  }

  protected async periodicPushPull(): Promise<void> {
    const live = this.nodes.filter((n) => n.name !== this.cfg.name && n.state === 'alive')
    if (live.length === 0) return
    const n = live[Math.floor(Math.random() * live.length)]!
    try {
      await this.pushPull(this.addrOf(n), false)
    } catch {
      this.metrics.count('pushPullFailures')
    }
  }
}

/** memberlist's push/pull interval scaling above 32 nodes. */
export function pushPullScale(interval: number, n: number): number {
  if (n <= 32) return interval
  const mult = Math.ceil(Math.log2(n) - Math.log2(32)) + 1
  return interval * mult
}

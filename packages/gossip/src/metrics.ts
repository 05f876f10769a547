/** Counters kept by a Gossip instance: traffic, rejected input by reason, state changes. */
export class Metrics {
  packetsSent = 0
  packetsReceived = 0
  bytesSent = 0
  bytesReceived = 0
  streamsOpened = 0
  streamsAccepted = 0
  /** Decode failures by WireError reason (`crc`, `decrypt`, `msgpack-type`, `size`, ...). */
  readonly decodeErrors: Record<string, number> = {}
  /** Other events: suspected, declaredDead, refutations, pushPulls, ... */
  readonly counters: Record<string, number> = {}

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by
  }

  decodeError(reason: string): void {
    this.decodeErrors[reason] = (this.decodeErrors[reason] ?? 0) + 1
  }

  /** Sum of all decode errors. */
  get totalDecodeErrors(): number {
    return Object.values(this.decodeErrors).reduce((a, b) => a + b, 0)
  }
}

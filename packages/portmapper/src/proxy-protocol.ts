// Messages between the port mapper and its userland proxy process (JSON over the IPC channel).

/** One published port the proxy serves. Addresses are plain strings on the wire. */
export interface ProxyEntrySpec {
  id: string
  protocol: 'tcp' | 'udp'
  hostIP: string
  hostPort: number
  containerIP: string
  containerPort: number
  /** UDP flows idle this long are closed. */
  udpIdleMs: number
}

export type ChildRequest =
  | { type: 'add'; seq: number; spec: ProxyEntrySpec }
  | { type: 'remove'; seq: number; id: string }
  | { type: 'stats'; seq: number }

export type ChildReply =
  | { type: 'ready'; pid: number }
  | {
      type: 'result'
      seq: number
      ok: boolean
      code?: string | undefined
      message?: string | undefined
    }
  | {
      type: 'stats'
      seq: number
      rss: number
      entries: number
      connections: number
      kernelRelays: number
    }
  | { type: 'fault'; id: string; message: string; code?: string | undefined }

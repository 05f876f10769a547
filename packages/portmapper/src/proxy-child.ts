// The userland proxy process: one process serves every published port. The parent tells it
// what to serve over the IPC channel (and may hand it listening sockets it bound itself); it
// answers each request and reports readiness and errors.
import dgram from 'node:dgram'
import net from 'node:net'
import type { ChildRequest, ChildReply, ProxyEntrySpec } from './proxy-protocol.js'
import { KernelRelay } from './splice.js'
import { relayTcp } from './proxy-tcp.js'

interface Entry {
  close(): void
  connections(): number
}

const entries = new Map<string, Entry>()
/** Stream buffer per direction: above the 64 KiB a socket read returns, so a relay does not
 * stop and restart reading after every chunk. */
const HWM = 1 << 20

function send(msg: ChildReply): void {
  if (process.connected) process.send?.(msg)
}

/** TCP bytes move socket to socket in the kernel (splice) where it can; else through streams. */
const relay = new KernelRelay((message) =>
  send({ type: 'fault', id: 'kernel-relay', message, code: 'ERELAY' }),
)

function tcpEntry(spec: ProxyEntrySpec, server: net.Server, done: (err?: Error) => void): Entry {
  const sockets = new Set<net.Socket>()
  /** Pairs the kernel relay owns: only it may close their sockets (it reports when). */
  const pairs = new Set<number>()
  // a server handed over by the parent was created without these options
  ;(server as net.Server & { allowHalfOpen: boolean }).allowHalfOpen = true
  server.on('connection', (client) => {
    client.setNoDelay(true)
    const backend = net.connect({
      host: spec.containerIP,
      port: spec.containerPort,
      allowHalfOpen: true,
      noDelay: true,
      // honoured by the Duplex constructor, missing from the connect typings
      ...({ highWaterMark: HWM } as object),
    })
    sockets.add(client)
    sockets.add(backend)
    client.on('close', () => sockets.delete(client))
    backend.on('close', () => sockets.delete(backend))
    relayTcp(client, backend, relay, (id, ended) => (ended ? pairs.delete(id) : pairs.add(id)))
  })
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (!server.listening) done(err)
    else send({ type: 'fault', id: spec.id, message: err.message, code: err.code })
  })
  if (server.listening) done()
  else
    server.listen(
      // an IPv6 listener must not take the IPv4 port too: both families are published apart
      {
        host: spec.hostIP,
        port: spec.hostPort,
        backlog: 4096,
        ipv6Only: spec.hostIP.includes(':'),
      },
      () => done(),
    )
  return {
    close() {
      server.close()
      // the kernel relay lets go of its pairs (and destroys them through their end callback)
      relay.drop([...pairs.keys()])
      for (const s of sockets) s.destroy()
    },
    connections: () => sockets.size / 2,
  }
}

function udpEntry(
  spec: ProxyEntrySpec,
  listener: dgram.Socket,
  bound: boolean,
  done: (err?: Error) => void,
): Entry {
  const type = spec.containerIP.includes(':') ? 'udp6' : 'udp4'
  const flows = new Map<string, { sock: dgram.Socket; seen: number }>()
  const idle = spec.udpIdleMs
  const sweep = setInterval(
    () => {
      const now = Date.now()
      for (const [k, f] of flows) {
        if (now - f.seen >= idle) {
          f.sock.close()
          flows.delete(k)
        }
      }
    },
    Math.max(20, Math.min(idle / 4, 5000)),
  )
  sweep.unref()
  listener.on('message', (msg, from) => {
    const key = `${from.address}|${from.port}`
    let flow = flows.get(key)
    if (flow === undefined) {
      const sock = dgram.createSocket({ type, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 })
      sock.on('message', (reply, rinfo) => {
        if (rinfo.port !== spec.containerPort) return
        const f = flows.get(key)
        if (f) f.seen = Date.now()
        listener.send(reply, from.port, from.address)
      })
      sock.on('error', () => {
        sock.close()
        flows.delete(key)
      })
      flow = { sock, seen: Date.now() }
      flows.set(key, flow)
    }
    flow.seen = Date.now()
    flow.sock.send(msg, spec.containerPort, spec.containerIP)
  })
  listener.on('error', (err: NodeJS.ErrnoException) => {
    if (!bound) done(err)
    else send({ type: 'fault', id: spec.id, message: err.message, code: err.code })
  })
  if (bound) done()
  else
    listener.bind({ address: spec.hostIP, port: spec.hostPort }, () => {
      bound = true
      try {
        listener.setRecvBufferSize(4 << 20)
        listener.setSendBufferSize(4 << 20)
      } catch {
        // best effort
      }
      done()
    })
  return {
    close() {
      clearInterval(sweep)
      try {
        listener.close()
      } catch {
        // already closed
      }
      for (const f of flows.values()) f.sock.close()
      flows.clear()
    },
    connections: () => flows.size,
  }
}

function add(req: Extract<ChildRequest, { type: 'add' }>, handle: unknown): void {
  const { spec } = req
  if (entries.has(spec.id)) {
    send({
      type: 'result',
      seq: req.seq,
      ok: false,
      code: 'EEXIST',
      message: `already serving ${spec.id}`,
    })
    return
  }
  let settled = false
  let failed = false
  let entry: Entry | undefined = undefined
  const done = (err?: Error) => {
    if (settled) return
    settled = true
    if (err) {
      failed = true
      entry?.close()
      entries.delete(spec.id)
      const code = (err as NodeJS.ErrnoException).code
      send({ type: 'result', seq: req.seq, ok: false, code, message: err.message })
    } else {
      send({ type: 'result', seq: req.seq, ok: true })
    }
  }
  if (spec.protocol === 'tcp') {
    const server =
      handle instanceof net.Server
        ? handle
        : net.createServer({ allowHalfOpen: true, highWaterMark: HWM })
    entry = tcpEntry(spec, server, done)
  } else {
    const given = handle instanceof dgram.Socket
    const listener = given
      ? handle
      : dgram.createSocket(
          spec.hostIP.includes(':') ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' },
        )
    entry = udpEntry(spec, listener, given, done)
  }
  if (failed) entry.close()
  else entries.set(spec.id, entry)
}

process.on('message', (msg: ChildRequest, handle: unknown) => {
  switch (msg.type) {
    case 'add':
      add(msg, handle)
      break
    case 'remove': {
      const e = entries.get(msg.id)
      if (e) {
        e.close()
        entries.delete(msg.id)
      }
      send({
        type: 'result',
        seq: msg.seq,
        ok: e !== undefined,
        code: e ? undefined : 'ENOENT',
        message: e ? undefined : `not serving ${msg.id}`,
      })
      break
    }
    case 'stats': {
      let connections = 0
      for (const e of entries.values()) connections += e.connections()
      send({
        type: 'stats',
        seq: msg.seq,
        rss: process.memoryUsage().rss,
        entries: entries.size,
        kernelRelays: relay.size,
        connections,
      })
      break
    }
  }
})
// the parent went away: nobody can tell us what to serve any more
process.on('disconnect', () => process.exit(0))
send({ type: 'ready', pid: process.pid })

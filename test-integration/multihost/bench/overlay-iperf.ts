// iperf3 between two ends, each bounded: the server handles one client (`-1`) and dies after
// `lifetimeS` at the latest (the harness runs it under `timeout -s KILL`); the client runs under
// `timeout` too. An end is a harness namespace (a host) or, with `net`, a network namespace by
// path entered from one (a container a dnet daemon made: its sandbox key). Answers the
// receiver's throughput in Gbit/s.
import { sh, until, type Underlay } from '../test/harness.js'

export interface End {
  /** The harness namespace the process is started in. */
  ns: string
  /** A network namespace path (a container's key) to enter from there with `nsenter`. */
  net?: string
}

const PORT = '5201'

/** argv prefix that runs a command in `e`'s network namespace from the test process. */
const enter = (e: End): string[] =>
  e.net ? ['nsenter', `--net=${e.net}`, '--'] : ['ip', 'netns', 'exec', e.ns]

export async function iperf(
  u: Underlay,
  server: End,
  serverIp: string,
  client: End,
  seconds = 3,
): Promise<number> {
  // spawnIn has entered `server.ns` already; a container is entered from there.
  const inside = server.net ? ['nsenter', `--net=${server.net}`, '--'] : []
  const proc = u.spawnIn(server.ns, [...inside, 'iperf3', '-s', '-1', '-B', serverIp, '-p', PORT], {
    lifetimeS: seconds + 60,
  })
  try {
    await until(`iperf3 listening on ${serverIp}:${PORT}`, async () => {
      if (!proc.running) throw new Error(`iperf3 server exited: ${proc.stderr}`)
      const out = await sh([...enter(server), 'ss', '-Hltn', 'sport', `= :${PORT}`])
      return out.includes(`:${PORT}`)
    })
    const out = await sh([
      'timeout',
      '-s',
      'KILL',
      String(seconds + 40),
      ...enter(client),
      'iperf3',
      '-c',
      serverIp,
      '-p',
      PORT,
      '-t',
      String(seconds),
      '-J',
    ])
    const r = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }
    return r.end.sum_received.bits_per_second / 1e9
  } finally {
    await proc.kill()
  }
}

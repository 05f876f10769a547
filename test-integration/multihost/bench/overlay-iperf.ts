// iperf3 between two namespaces, each end bounded: the server handles one client (`-1`) and
// dies after `lifetimeS` at the latest (the harness runs it under `timeout -s KILL`); the client
// runs under `timeout` too. Answers the receiver's throughput in Gbit/s.
import { sh, until, type Underlay } from '../test/harness.js'

export async function iperf(
  u: Underlay,
  serverNs: string,
  serverIp: string,
  clientNs: string,
  seconds = 3,
): Promise<number> {
  const server = u.spawnIn(serverNs, ['iperf3', '-s', '-1', '-B', serverIp, '-p', '5201'], {
    lifetimeS: seconds + 30,
  })
  try {
    await until(`iperf3 listening in ${serverNs}`, async () => {
      if (!server.running) throw new Error(`iperf3 server exited: ${server.stderr}`)
      const out = await sh(['ip', 'netns', 'exec', serverNs, 'ss', '-Hltn', 'sport', '= :5201'])
      return out.includes(':5201')
    })
    const out = await sh([
      'timeout',
      '-s',
      'KILL',
      String(seconds + 20),
      'ip',
      'netns',
      'exec',
      clientNs,
      'iperf3',
      '-c',
      serverIp,
      '-p',
      '5201',
      '-t',
      String(seconds),
      '-J',
    ])
    const r = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }
    return r.end.sum_received.bits_per_second / 1e9
  } finally {
    await server.kill()
  }
}

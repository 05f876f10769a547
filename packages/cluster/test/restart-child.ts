// A cluster agent in a child process, to be killed with SIGKILL by restart.test.ts (a daemon's
// kill -9). Config: JSON in argv[2]. It joins `join`, joins `network`, puts `churn` throwaway keys
// (its table clock runs ahead) and then `key` = `value`, and prints one JSON line
// `{"ready":true,"node":...}`. It exits when stdin closes, so it dies with the test.
import { ClusterAgent } from '../src/index.js'
import { IP } from '@libnetwork/types'
import { FAST } from './helpers.js'

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  nodeName: string
  port: number
  join: string[]
  network: string
  table: string
  key: string
  value: string
  churn: number
}
const agent = new ClusterAgent({
  nodeName: cfg.nodeName,
  bindAddress: IP.parse('127.0.0.1'),
  port: cfg.port,
  join: cfg.join,
  gossip: FAST,
})
await agent.start()
await agent.joinNetwork(cfg.network)
const enc = new TextEncoder()
for (let i = 0; i < cfg.churn; i++)
  await agent.put(cfg.table, cfg.network, `churn${i}`, enc.encode('x'))
await agent.put(cfg.table, cfg.network, cfg.key, enc.encode(cfg.value))
process.stdout.write(JSON.stringify({ ready: true, node: agent.nodeName }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))

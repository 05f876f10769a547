// I1: 100 rules in one iptables-restore batch vs one spawned iptables per rule, both backends,
// inside a namespace made for the bench. Median of 5 rounds.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { median, now, writeResults, type BenchResult } from '../../../tools/bench.mjs'
import { IP } from '@libnetwork/types'
import { Iptables, type Rule } from '../dist/index.js'

const ns = `lnt-iptables-b-${randomBytes(3).toString('hex')}`
const results: BenchResult[] = []
execFileSync('ip', ['netns', 'add', ns])
try {
  for (const backend of ['nft', 'legacy'] as const) {
    const ipt = await Iptables.create({ netns: ns, backend })
    await ipt.batch().chain('nat', 'LNT-BENCH').commit()
    const rule = (i: number): Rule => ({
      protocol: 'tcp',
      destinationPort: 10000 + i,
      target: { type: 'DNAT', to: IP.parse('172.30.0.2'), port: 80 },
    })
    const batch: number[] = []
    const single: number[] = []
    for (let round = 0; round < 5; round++) {
      const b = ipt.batch()
      for (let i = 0; i < 100; i++) b.append('nat', 'LNT-BENCH', rule(i))
      let t0 = now()
      await b.commit()
      batch.push(now() - t0)
      await ipt.flushChain('nat', 'LNT-BENCH')
      t0 = now()
      for (let i = 0; i < 10; i++) await ipt.append('nat', 'LNT-BENCH', rule(i))
      single.push((now() - t0) / 10)
      await ipt.flushChain('nat', 'LNT-BENCH')
    }
    await ipt.deleteChain('nat', 'LNT-BENCH')
    results.push({
      id: `I1.batch100.${backend}`,
      name: `100 DNAT rules in one iptables-restore (${backend}, via ip netns exec)`,
      value: median(batch),
      unit: 'ms',
    })
    results.push({
      id: `I1.single.${backend}`,
      name: `one rule per spawned iptables (${backend}, via ip netns exec)`,
      value: median(single),
      unit: 'ms',
    })
  }
} finally {
  execFileSync('ip', ['netns', 'del', ns])
}
writeResults('iptables', results)

// B7: allocate every port of the dynamic range for tcp on 0.0.0.0 (32768-60999 on this
// machine), on a fresh allocator each run; median of 21 runs after 4 warm-up runs.
import { median, now, rssMiB, writeResults } from '../../../tools/bench.mjs'
import { IP } from '@libnetwork/types'
import { PortAllocator } from '../dist/index.js'

const any = IP.parse('0.0.0.0')
const rates: number[] = []
let range = { start: 0, end: 0 }
for (let run = 0; run < 25; run++) {
  const pa = new PortAllocator()
  range = pa.dynamicRange
  const n = range.end - range.start + 1
  const t0 = now()
  for (let i = 0; i < n; i++) pa.requestPort(any, 'tcp')
  const ms = now() - t0
  if (pa.allocations().length !== n) throw new Error('not every port was allocated')
  if (run >= 4) rates.push((n / ms) * 1000) // four warm-up runs
}
writeResults('portallocator', [
  {
    id: 'B7',
    name: `every port of the dynamic range ${range.start}-${range.end}, tcp on 0.0.0.0 (median of 21 runs)`,
    value: Math.round(median(rates)),
    unit: 'ops/s',
  },
  { id: 'B7.rss', name: 'process RSS after B7', value: rssMiB(), unit: 'MiB' },
])

// Upstream's overlay scenario across three dnet hosts, etcd-less (the network made on each host with one id and VNI):
// see overlay-reach-scenario.ts.
import t from 'tap'
import { reachScenario } from './overlay-reach-scenario.js'

const isRoot = process.getuid?.() === 0

t.test(
  'three hosts, one overlay, containers reach each other by name (etcdless)',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  (t) => reachScenario(t, 'etcdless'),
)

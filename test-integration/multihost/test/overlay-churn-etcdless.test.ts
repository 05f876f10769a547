// The churn etcd-less: 50 cycles, fewer than the etcd mode's 200 to keep the suite's time down;
// the same checks (`churn` in overlay-scenarios.ts; OVERLAY_CHURN_CYCLES to change).
import { churnFile } from './overlay-scenarios.js'

churnFile('etcdless', 50)

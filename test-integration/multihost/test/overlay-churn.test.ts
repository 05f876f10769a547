// 200 create/attach/detach/rm cycles across three dnet hosts on one overlay, with etcd as the
// global store: nothing left (`churn` in overlay-scenarios.ts; OVERLAY_CHURN_CYCLES to change).
import { churnFile } from './overlay-scenarios.js'

churnFile('etcd', 200)

// Upstream's overlay scenarios on one world of three dnet hosts, with etcd as the global store:
// reach, multi, gateway, fault (see overlay-scenarios.ts).
import { suiteFile } from './overlay-scenarios.js'

suiteFile('etcd')

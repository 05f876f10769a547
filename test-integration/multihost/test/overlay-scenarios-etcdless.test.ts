// Upstream's overlay scenarios on one world of three dnet hosts, etcd-less (each network made on every host with one id and VNI):
// reach, multi, gateway, fault (see overlay-scenarios.ts).
import { suiteFile } from './overlay-scenarios.js'

suiteFile('etcdless')

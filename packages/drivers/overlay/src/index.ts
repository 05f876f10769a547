/**
 * @packageDocumentation
 * The overlay network driver: containers on different hosts on one L2 network, over VXLAN,
 * with peers learned from the cluster's `overlay_peer_table` (no flood and learn).
 */
export { overlay } from './driver.js'
export type { OverlayDriverConfig, OverlayDeps } from './driver.js'
export { netlinkOverlayKernel } from './kernel.js'
export type { OverlayKernel, NetworkSandboxSpec, EndpointVethSpec, PeerEntry } from './kernel.js'
export {
  parseOverlayOptions,
  LABELS,
  DEFAULT_VXLAN_PORT,
  VNI_START,
  VNI_END,
  VXLAN_OVERHEAD,
} from './options.js'
export type { OverlayNetworkOptions } from './options.js'
export { PEER_TABLE, encodePeerRecord, decodePeerRecord } from './peer-record.js'
export type { PeerRecord } from './peer-record.js'
export { EncryptionUnsupportedError } from './errors.js'
export { VniPool, VNI_KEY } from './vni.js'

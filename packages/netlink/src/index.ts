/**
 * @packageDocumentation
 * rtnetlink for Node.js in TypeScript: links, addresses, routes, neighbours and FDB entries,
 * change events, sysctls, and named network namespaces — with each client bound to a namespace.
 */
export { Netlink } from './handle.js'
export type {
  LinkSpec,
  LinkUpdate,
  RouteInput,
  NeighborInput,
  FdbInput,
  NetlinkOptions,
} from './handle.js'
export type {
  Link,
  LinkRef,
  LinkKind,
  OperState,
  VethPeer,
  NetnsTarget,
  RawLinkSpec,
  LinkChanges,
  BridgePort,
  BridgePortInfo,
} from './link.js'
export {
  encodeNewLink,
  encodeSetLink,
  encodeGetLink,
  encodeDelLink,
  decodeLink,
  LINK_KINDS,
} from './link.js'
export type {
  BridgeOptions,
  VxlanOptions,
  VxlanInfo,
  MacvlanMode,
  IpvlanMode,
  IpvlanFlag,
  VlanProtocol,
  LinkInfoData,
} from './linkinfo.js'
export type { Address, AddressOptions } from './addr.js'
export { encodeAddr, decodeAddr } from './addr.js'
export type { Route, RouteSpec } from './route.js'
export { encodeRoute, decodeRoute } from './route.js'
export type { Neighbor, NeighborSpec, NeighborState, FdbSpec } from './neigh.js'
export { encodeNeigh, encodeFdb, decodeNeigh } from './neigh.js'
export type { NetlinkEvent, EventGroup, EventOptions, EventAction } from './events.js'
export { subscribe, decodeEvent } from './events.js'
export type { NetnsRef, NetnsOptions } from './netns.js'
export {
  DEFAULT_RUN_DIR,
  createNetns,
  deleteNetns,
  deleteNetnsInBackground,
  listNetns,
  netnsExists,
  netnsPath,
  withNetns,
  enterNetns,
} from './netns.js'
export type { InetSocketSpec, InetSocketType } from './inet-socket.js'
export { openSocketInNetns } from './inet-socket.js'
export type { SysctlOptions } from './sysctl.js'
export {
  getSysctl,
  setSysctl,
  setIPForward,
  setRouteLocalnet,
  setBridgeNfCallIptables,
  setInterfaceSysctl,
  getInterfaceSysctl,
} from './sysctl.js'
export { MessageWriter, parseMessages, parseAttrs } from './codec.js'
export type { NetlinkMessage, Attrs } from './codec.js'
export { NetlinkSocket, decodeError } from './socket.js'
export type { SocketOptions } from './socket.js'
export { errnoError, errnoName } from './errors.js'
export { parseMAC, formatMAC, randomMAC } from './mac.js'
export { linkKindSupported } from './probe.js'

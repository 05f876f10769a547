/** Numbers from the Linux UAPI headers (netlink.h, rtnetlink.h, if_link.h, neighbour.h). */

export const AF_UNSPEC = 0
export const AF_INET = 2
export const AF_BRIDGE = 7
export const AF_INET6 = 10
export const AF_NETLINK = 16
export const NETLINK_ROUTE = 0
export const SOCK_RAW = 3
export const SOCK_CLOEXEC = 0x80000
export const CLONE_NEWNET = 0x40000000

export const NLMSG_HDRLEN = 16
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWNEIGH: 28,
  DELNEIGH: 29,
  GETNEIGH: 30,
} as const

export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKINFO: 18,
  NET_NS_PID: 19,
  IFALIAS: 20,
  GROUP: 27,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  PROMISCUITY: 30,
  CARRIER: 33,
  LINK_NETNSID: 37,
  MIN_MTU: 50,
  MAX_MTU: 51,
} as const

export const IFLA_INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const
export const VETH_INFO_PEER = 1

export const IFLA_VXLAN = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  TTL: 5,
  TOS: 6,
  LEARNING: 7,
  AGEING: 8,
  LIMIT: 9,
  PROXY: 11,
  RSC: 12,
  L2MISS: 13,
  L3MISS: 14,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
  UDP_CSUM: 18,
} as const

export const IFLA_MACVLAN = { MODE: 1, FLAGS: 2 } as const
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const
export const IFLA_IPVLAN = { MODE: 1, FLAGS: 2 } as const
export const IPVLAN_MODE = { l2: 0, l3: 1, l3s: 2 } as const
export const IPVLAN_FLAG = { bridge: 0, private: 1, vepa: 2 } as const
export const IFLA_VLAN = { ID: 1, FLAGS: 2, PROTOCOL: 5 } as const
export const VLAN_PROTOCOL = { '802.1Q': 0x8100, '802.1ad': 0x88a8 } as const
export const IFLA_BR = {
  FORWARD_DELAY: 1,
  HELLO_TIME: 2,
  MAX_AGE: 3,
  AGEING_TIME: 4,
  STP_STATE: 5,
  PRIORITY: 6,
  VLAN_FILTERING: 7,
  MCAST_SNOOPING: 23,
} as const

/** Bridge port settings inside IFLA_INFO_SLAVE_DATA (IFLA_BRPORT_*). */
export const IFLA_BRPORT = {
  STATE: 1,
  PRIORITY: 2,
  COST: 3,
  MODE: 4,
  LEARNING: 8,
  UNICAST_FLOOD: 9,
  ISOLATED: 33,
} as const

export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
} as const

export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, CACHEINFO: 6, FLAGS: 8 } as const
export const IFA_F = { NODAD: 0x02, PERMANENT: 0x80, NOPREFIXROUTE: 0x200 } as const

export const RTA = {
  DST: 1,
  SRC: 2,
  IIF: 3,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  TABLE: 15,
} as const
export const RT_TABLE = { MAIN: 254, LOCAL: 255 } as const
export const RTPROT = { KERNEL: 2, BOOT: 3, STATIC: 4 } as const
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254, NOWHERE: 255 } as const
export const RTN = { UNICAST: 1, LOCAL: 2, BROADCAST: 3, MULTICAST: 5, BLACKHOLE: 6 } as const
export const RTNH_F_ONLINK = 4

export const NDA = { DST: 1, LLADDR: 2, VLAN: 5, PORT: 6, VNI: 7, IFINDEX: 8, MASTER: 9 } as const
export const NUD = {
  INCOMPLETE: 0x1,
  REACHABLE: 0x2,
  STALE: 0x4,
  DELAY: 0x8,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
} as const
export const NTF = { USE: 0x1, SELF: 0x2, MASTER: 0x4, PROXY: 0x8, EXT_LEARNED: 0x10 } as const

export const RTMGRP = {
  LINK: 0x1,
  NEIGH: 0x4,
  IPV4_IFADDR: 0x10,
  IPV4_ROUTE: 0x40,
  IPV6_IFADDR: 0x100,
  IPV6_ROUTE: 0x400,
} as const

export const SOL_SOCKET = 1
export const SO_SNDBUF = 7
export const SO_RCVBUF = 8
export const SO_RCVTIMEO = 20
export const SOL_NETLINK = 270
export const NETLINK_CAP_ACK = 10
export const NETLINK_EXT_ACK = 11
export const NLMSGERR_ATTR_MSG = 1

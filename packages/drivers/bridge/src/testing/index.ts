/**
 * @packageDocumentation
 * Test doubles for the bridge driver's collaborators: a `FakeKernel` (links, addresses,
 * sysctls in memory) and a `FakeIptables` runner (iptables, ip6tables and conntrack in
 * memory), so the driver's netfilter and port logic runs without root:
 * `bridge({ userlandProxy: false }, { kernel: new FakeKernel(), iptablesRunner: new FakeIptables() })`.
 */
export { FakeKernel, HOST } from './fake-kernel.js'
export type { FakeLink } from './fake-kernel.js'
export { FakeIptables } from './fake-iptables.js'
export type { FakeCall } from './fake-iptables.js'

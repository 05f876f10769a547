/**
 * @packageDocumentation
 * iptables and ip6tables for libnetwork: chains and rules built from typed values, batched
 * through one `iptables-restore --noflush`, both backends (nft and legacy), optionally inside a
 * named network namespace; conntrack clean-up; a rule set that verifies and re-applies itself.
 */
export { Iptables, detectBackends } from './iptables.js'
export type { Backend, BackendInfo, IptablesOptions } from './iptables.js'
export { Batch } from './batch.js'
export type { BatchOp } from './batch.js'
export { RuleSet } from './ruleset.js'
export type { Anchor, VerifyResult } from './ruleset.js'
export { ruleArgs, checkChain, TABLES } from './rule.js'
export type {
  Rule,
  PlacedRule,
  Target,
  Table,
  Family,
  RuleProtocol,
  Negatable,
  PortSpec,
  AddrType,
  CtState,
} from './rule.js'
export { execRunner } from './runner.js'
export type { Runner, RunResult, ExecRunnerOptions } from './runner.js'
export { deleteConntrackEntries } from './conntrack.js'
export type { ConntrackFilter } from './conntrack.js'

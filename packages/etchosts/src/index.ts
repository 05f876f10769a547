/**
 * @packageDocumentation
 * Build and update a sandbox's /etc/hosts: default localhost and ip6-* entries, the sandbox's
 * own address and names, extra hosts; add, delete and update records under one lock per file,
 * with atomic writes.
 */
export { HostsFile } from './hosts-file.js'
export type { BuildHostsOptions } from './hosts-file.js'
export {
  defaultRecords,
  formatRecord,
  parseLine,
  sameRecord,
  validateHostName,
  validateRecord,
} from './records.js'
export type { HostRecord } from './records.js'

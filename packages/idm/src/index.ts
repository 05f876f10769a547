/**
 * @packageDocumentation
 * Integer id allocation in a range `[start, end]`, over a bitseq bitmap.
 *
 * @example
 * ```ts
 * import { Idm } from '@libnetwork/idm'
 * const vxlan = new Idm({ start: 4096, end: (1 << 24) - 1 })
 * const id = vxlan.getId()       // 4096
 * vxlan.getSpecificId(5000)
 * vxlan.release(id)
 * ```
 */
export { Idm } from './idm.js'
export type { IdmOptions } from './idm.js'

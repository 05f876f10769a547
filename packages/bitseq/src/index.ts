/**
 * @packageDocumentation
 * A run-length compressed bitmap for allocating ordinals (addresses, VXLAN ids, ports).
 *
 * @example
 * ```ts
 * import { Bitmap } from '@libnetwork/bitseq'
 * const bm = new Bitmap(1 << 24)
 * const a = bm.setAny()          // 0
 * bm.set(100)
 * bm.unset(a)
 * const bytes = bm.toBytes()     // persist these; Bitmap.fromBytes(bytes) restores
 * ```
 */
export { Bitmap, MAX_BITS } from './bitmap.js'

/**
 * @packageDocumentation
 * The protobuf wire format by hand, for small fixed schemas: a reader (tags, varints,
 * fixed-width and length-delimited fields, views without copies), a writer (presized or
 * growing, proto3 field helpers) and sizing helpers. No schema compiler, no dependencies
 * besides `@libnetwork/types` (its typed errors).
 */
export { ProtoReader, WireType, MAX_FIELD } from './reader.js'
export type { ReaderOptions, WireTypeNumber } from './reader.js'
export { ProtoWriter, varintSize, tagSize, utf8Size, fieldSize } from './writer.js'
export { fields, WireField } from './fields.js'
export type { WireFault, ErrorCode } from './errors.js'

/**
 * @packageDocumentation
 * Run-length compressed bitmap allocator
 */
export {}

/**
 * @packageDocumentation
 * ID ranges allocated over a bitseq bitmap
 */
export {}

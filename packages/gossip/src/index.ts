/**
 * @packageDocumentation
 * SWIM cluster membership over UDP, wire-compatible with hashicorp/memberlist
 */
export {}

/**
 * @packageDocumentation
 * iptables and ip6tables chains and rules, batched, both backends
 */
export {}

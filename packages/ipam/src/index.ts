/**
 * @packageDocumentation
 * IP address management: address spaces, pools and addresses (IPv4 and IPv6), and the IPAM contract
 */
export {}

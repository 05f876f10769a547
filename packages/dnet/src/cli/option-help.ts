/** What each CLI option means, shown by `--help`: the value's name (for value options) and a line. */
export const optionHelp: Record<string, { value?: string; text: string }> = {
  json: { text: 'print the full object as JSON' },
  quiet: { text: 'print ids only, one per line' },
  driver: {
    value: 'DRIVER',
    text: 'network driver: bridge (default), host, null, or a plugin by name',
  },
  id: { value: 'ID', text: 'a fixed network id (64 hex characters), the same on every host' },
  subnet: { value: 'CIDR', text: 'a subnet of the network, e.g. 10.1.0.0/24' },
  gateway: { value: 'IP', text: 'gateway of the subnet given at the same position' },
  'ip-range': { value: 'CIDR', text: 'hand out addresses only from this part of the subnet' },
  'ipam-driver': { value: 'NAME', text: 'the IPAM driver (default: "default")' },
  internal: { text: 'no route to the outside and no published ports' },
  ipv6: {
    text: 'enable IPv6: an IPv6 --subnet, or one from the default IPv6 pool (a ULA /48 of this host)',
  },
  filter: {
    value: 'KEY=VALUE',
    text: 'only networks matching: name=, id= (a part or a regex), driver=, scope=, label=KEY[=VALUE]',
  },
  format: {
    value: 'TEMPLATE',
    text: 'one line per network: {{.ID}} {{.Name}} {{.Driver}} {{.Scope}} {{.Subnet}} {{.IPv6}} {{.Internal}} {{.Labels}} {{.Label "KEY"}} {{json .}}; "table …" adds a header',
  },
  attachable: { text: 'let containers attach by hand (kept for compatibility)' },
  opt: { value: 'KEY=VALUE', text: 'driver option, e.g. com.docker.network.bridge.name=br0' },
  label: { value: 'KEY=VALUE', text: 'a label kept with the object' },
  hostname: { value: 'NAME', text: "the container's host name" },
  domainname: { value: 'NAME', text: "the container's domain name" },
  dns: { value: 'IP', text: 'a nameserver for the container instead of the host ones' },
  'dns-search': { value: 'DOMAIN', text: 'a DNS search domain' },
  'dns-option': { value: 'OPTION', text: 'a resolv.conf option, e.g. ndots:2' },
  'add-host': { value: 'NAME:IP', text: "an extra line for the container's /etc/hosts" },
  'host-network': { text: "use the host's network namespace (no isolation)" },
  publish: {
    value: '[HOST_IP:][HOST_PORT:]PORT[/PROTO]',
    text: 'publish a container port on the host',
  },
  alias: { value: 'NAME', text: 'another DNS name for the service on this network' },
  ip: { value: 'IP', text: 'ask for this IPv4 address' },
  net: { value: 'NETWORK', text: 'only the services of this network' },
}

/**
 * JSON Schemas of the REST API's request bodies. They validate requests at the edge and are
 * the `components.schemas` of the OpenAPI description.
 */

const name = { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$' } as const
const stringMap = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 4096 },
  maxProperties: 256,
} as const
const cidr = { type: 'string', maxLength: 64, pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' } as const
const ip = { type: 'string', maxLength: 64, pattern: '^[0-9a-fA-F:.]+$' } as const
const protocol = { type: 'string', enum: ['tcp', 'udp', 'sctp'] } as const
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const
const hostPort = { type: 'integer', minimum: 0, maximum: 65535 } as const

export const schemas = {
  IpamPoolConfig: {
    type: 'object',
    additionalProperties: false,
    properties: {
      subnet: cidr,
      ipRange: cidr,
      gateway: ip,
      auxAddresses: { type: 'object', additionalProperties: ip, maxProperties: 256 },
    },
  },
  NetworkCreate: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name,
      id: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      driver: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' },
      ipam: {
        type: 'object',
        additionalProperties: false,
        properties: {
          driver: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' },
          config: {
            type: 'array',
            maxItems: 8,
            items: { $ref: '#/components/schemas/IpamPoolConfig' },
          },
        },
      },
      options: stringMap,
      labels: stringMap,
      internal: { type: 'boolean' },
      ipv6: { type: 'boolean' },
      attachable: { type: 'boolean' },
    },
  },
  PortBinding: {
    type: 'object',
    additionalProperties: false,
    required: ['protocol', 'port'],
    properties: { protocol, port, hostIp: ip, hostPort, hostPortEnd: hostPort },
  },
  EndpointCreate: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name,
      exposedPorts: {
        type: 'array',
        maxItems: 1024,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['protocol', 'port'],
          properties: { protocol, port },
        },
      },
      portBindings: {
        type: 'array',
        maxItems: 1024,
        items: { $ref: '#/components/schemas/PortBinding' },
      },
      aliases: { type: 'array', maxItems: 64, items: name },
      ipv4Address: ip,
      ipv6Address: ip,
      macAddress: { type: 'string', pattern: '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$' },
    },
  },
  SandboxCreate: {
    type: 'object',
    additionalProperties: false,
    required: ['containerId'],
    properties: {
      containerId: name,
      hostname: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$' },
      domainName: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$' },
      extraHosts: {
        type: 'array',
        maxItems: 256,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'address'],
          properties: {
            name: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}$' },
            address: ip,
          },
        },
      },
      dns: { type: 'array', maxItems: 3, items: ip },
      dnsSearch: { type: 'array', maxItems: 6, items: { type: 'string', maxLength: 253 } },
      dnsOptions: {
        type: 'array',
        maxItems: 16,
        items: { type: 'string', pattern: '^[a-z0-9-]+(:[0-9]+)?$' },
      },
      useHostNetwork: { type: 'boolean' },
    },
  },
  Join: {
    type: 'object',
    additionalProperties: false,
    required: ['sandbox'],
    properties: {
      sandbox: { type: 'string', minLength: 1, maxLength: 128 },
      aliases: { type: 'array', maxItems: 64, items: name },
    },
  },
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['category', 'code', 'message'],
        properties: {
          category: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
          details: { type: 'object' },
        },
      },
    },
  },
} as const

export type SchemaName = keyof typeof schemas

import t from 'tap'
import { IP, LibnetworkError } from '@libnetwork/types'
import {
  AlreadyExistsError,
  DriverForbiddenError,
  DriverNotImplementedError,
  EndpointNotFoundError,
  InvalidOptionError,
  NetworkNotFoundError,
  checkPortBinding,
  portBindingKey,
} from '../src/index.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'AlreadyExistsError',
    'DriverForbiddenError',
    'DriverNotImplementedError',
    'EndpointNotFoundError',
    'InvalidOptionError',
    'NetworkNotFoundError',
    'checkPortBinding',
    'portBindingKey',
  ])
})

t.test('errors carry categories, codes and details', (t) => {
  const cases: Array<[LibnetworkError, string, string, Record<string, unknown>]> = [
    [new NetworkNotFoundError('n1'), 'not-found', 'driver-network-not-found', { networkId: 'n1' }],
    [
      new EndpointNotFoundError('n1', 'e1'),
      'not-found',
      'driver-endpoint-not-found',
      { networkId: 'n1', endpointId: 'e1' },
    ],
    [
      new AlreadyExistsError('network', 'n1'),
      'conflict',
      'driver-network-exists',
      { kind: 'network', id: 'n1' },
    ],
    [
      new InvalidOptionError('mtu', 'must be a number', { value: 'x' }),
      'bad-request',
      'driver-invalid-option',
      { option: 'mtu', value: 'x' },
    ],
    [
      new DriverForbiddenError('host', 'only one network'),
      'forbidden',
      'driver-forbidden',
      { driver: 'host' },
    ],
    [
      new DriverNotImplementedError('null', 'ports'),
      'not-implemented',
      'driver-not-implemented',
      { driver: 'null', operation: 'ports' },
    ],
  ]
  for (const [err, category, code, details] of cases) {
    t.ok(LibnetworkError.isInstance(err))
    t.equal(err.category, category)
    t.equal(err.code, code)
    t.same(err.details, details)
    t.ok(err.message.length > 0)
  }
  t.equal(new InvalidOptionError('mtu', 'x').name, 'InvalidOptionError')
  t.end()
})

t.test('checkPortBinding accepts good bindings and rejects bad ones', (t) => {
  checkPortBinding({ protocol: 'tcp', port: 80 })
  checkPortBinding({ protocol: 'udp', port: 53, hostPort: 0 })
  checkPortBinding({ protocol: 'tcp', port: 80, hostPort: 8000, hostPortEnd: 8010 })
  const bad: unknown[] = [
    { protocol: 'icmp', port: 80 },
    { protocol: 'tcp', port: 0 },
    { protocol: 'tcp', port: 65536 },
    { protocol: 'tcp', port: 1.5 },
    { protocol: 'tcp', port: 80, hostPort: -1 },
    { protocol: 'tcp', port: 80, hostPortEnd: 90 },
    { protocol: 'tcp', port: 80, hostPort: 100, hostPortEnd: 90 },
  ]
  for (const b of bad) {
    t.throws(() => checkPortBinding(b as never), { name: 'BadRequestError' }, JSON.stringify(b))
  }
  t.end()
})

t.test('portBindingKey is stable text', (t) => {
  t.equal(portBindingKey({ protocol: 'tcp', port: 80 }), 'tcp/80->0.0.0.0:0')
  t.equal(
    portBindingKey({ protocol: 'udp', port: 53, hostIP: IP.parse('127.0.0.1'), hostPort: 5353 }),
    'udp/53->127.0.0.1:5353',
  )
  t.equal(
    portBindingKey({ protocol: 'tcp', port: 80, hostPort: 8000, hostPortEnd: 8010 }),
    'tcp/80->0.0.0.0:8000-8010',
  )
  t.end()
})

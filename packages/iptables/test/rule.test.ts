import t from 'tap'
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import { checkChain, ruleArgs, type Rule } from '../src/index.js'
import { renderBatch } from '../src/batch.js'
import { restoreToken } from '../src/rule.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'Batch',
    'Iptables',
    'RuleSet',
    'TABLES',
    'checkChain',
    'deleteConntrackEntries',
    'detectBackends',
    'execRunner',
    'ruleArgs',
  ])
})

t.test('rules become argv from typed values, in a fixed order', async (t) => {
  const dnat: Rule = {
    protocol: 'tcp',
    destination: IP.parse('0.0.0.0').version === 4 ? IPNet.parse('0.0.0.0/0') : undefined,
    inInterface: { not: 'br0' },
    destinationPort: 8080,
    target: { type: 'DNAT', to: IP.parse('172.17.0.2'), port: 80 },
  }
  t.same(ruleArgs(dnat, 4), [
    '-p',
    'tcp',
    '-d',
    '0.0.0.0/0',
    '!',
    '-i',
    'br0',
    '-m',
    'tcp',
    '--dport',
    '8080',
    '-j',
    'DNAT',
    '--to-destination',
    '172.17.0.2:80',
  ])
  t.same(
    ruleArgs(
      {
        source: { not: IP.parse('127.0.0.1') },
        dstType: 'LOCAL',
        ctstate: ['RELATED', 'ESTABLISHED'],
        comment: 'published 8080; see docs',
        target: { type: 'jump', chain: 'LNT-DNAT' },
      },
      4,
    ),
    [
      '!',
      '-s',
      '127.0.0.1/32',
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      '-m',
      'comment',
      '--comment',
      'published 8080; see docs',
      '-j',
      'LNT-DNAT',
    ],
  )
  t.same(
    ruleArgs(
      {
        protocol: 'udp',
        destinationPort: { start: 5000, end: 5010 },
        target: { type: 'DNAT', to: IP.parse('fd00::2'), port: { start: 6000, end: 6010 } },
      },
      6,
    ),
    [
      '-p',
      'udp',
      '-m',
      'udp',
      '--dport',
      '5000:5010',
      '-j',
      'DNAT',
      '--to-destination',
      '[fd00::2]:6000-6010',
    ],
  )
})

t.test('hostile values are rejected with typed errors', async (t) => {
  const hostile: [string, () => unknown, string][] = [
    ['chain with space', () => checkChain('MY CHAIN'), 'invalid-chain'],
    ['chain with ;', () => checkChain('A;rm -rf /'), 'invalid-chain'],
    ['chain with newline', () => checkChain('A\n-F'), 'invalid-chain'],
    ['chain too long', () => checkChain('X'.repeat(29)), 'invalid-chain'],
    [
      'jump to quoted chain',
      () => ruleArgs({ target: { type: 'jump', chain: '"X"' } }, 4),
      'invalid-chain',
    ],
    [
      'iface with space',
      () => ruleArgs({ inInterface: 'eth0 -j DROP', target: { type: 'ACCEPT' } }, 4),
      'invalid-interface',
    ],
    [
      'iface with quote',
      () => ruleArgs({ outInterface: "et'h", target: { type: 'ACCEPT' } }, 4),
      'invalid-interface',
    ],
    [
      'comment with newline',
      () => ruleArgs({ comment: 'a\nCOMMIT', target: { type: 'ACCEPT' } }, 4),
      'invalid-comment',
    ],
    [
      'comment with quote',
      () => ruleArgs({ comment: 'say "hi"', target: { type: 'ACCEPT' } }, 4),
      'invalid-comment',
    ],
    [
      'comment with backslash',
      () => ruleArgs({ comment: 'a\\', target: { type: 'ACCEPT' } }, 4),
      'invalid-comment',
    ],
    [
      'address as string',
      () => ruleArgs({ source: '1.2.3.4' as unknown as IP, target: { type: 'ACCEPT' } }, 4),
      'invalid-address',
    ],
    [
      'v6 address in v4 rule',
      () => ruleArgs({ source: IP.parse('::1'), target: { type: 'ACCEPT' } }, 4),
      'family-mismatch',
    ],
    [
      'port without protocol',
      () => ruleArgs({ destinationPort: 80, target: { type: 'ACCEPT' } }, 4),
      'invalid-rule',
    ],
    [
      'port out of range',
      () => ruleArgs({ protocol: 'tcp', destinationPort: 70000, target: { type: 'ACCEPT' } }, 4),
      'invalid-port',
    ],
    [
      'unknown protocol',
      () => ruleArgs({ protocol: 'tcp;x' as 'tcp', target: { type: 'ACCEPT' } }, 4),
      'invalid-protocol',
    ],
    [
      'unknown target',
      () => ruleArgs({ target: { type: 'LOG' } as unknown as Rule['target'] }, 4),
      'invalid-target',
    ],
    [
      'ctstate',
      () => ruleArgs({ ctstate: ['NEW,X' as 'NEW'], target: { type: 'ACCEPT' } }, 4),
      'invalid-ctstate',
    ],
    [
      'table',
      () => renderBatch([{ op: 'chain', table: 'nat;' as 'nat', chain: 'X' }], 4),
      'invalid-table',
    ],
    ['restore token', () => restoreToken('a\nb'), 'invalid-token'],
  ]
  for (const [name, fn, code] of hostile) {
    const err = t.throws(fn, name) as LibnetworkError
    t.ok(LibnetworkError.isInstance(err) && err.category === 'bad-request', `${name}: bad-request`)
    t.equal(err.code, code, `${name}: ${code}`)
  }
})

t.test('restore text quotes tokens with spaces and groups by table', async (t) => {
  const { text } = renderBatch(
    [
      { op: 'chain', table: 'nat', chain: 'LNT' },
      {
        op: 'append',
        table: 'filter',
        chain: 'LNT',
        rule: { comment: 'a b;c', target: { type: 'ACCEPT' } },
      },
      { op: 'append', table: 'nat', chain: 'LNT', rule: { target: { type: 'RETURN' } } },
      {
        op: 'insert',
        table: 'nat',
        chain: 'PREROUTING',
        rule: { target: { type: 'jump', chain: 'LNT' } },
        position: 1,
      },
    ],
    4,
  )
  t.equal(
    text,
    [
      '*nat',
      ':LNT - [0:0]',
      '-A LNT -j RETURN',
      '-I PREROUTING 1 -j LNT',
      'COMMIT',
      '*filter',
      '-A LNT -m comment --comment "a b;c" -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  )
  t.throws(
    () =>
      renderBatch(
        [
          {
            op: 'insert',
            table: 'nat',
            chain: 'X',
            rule: { target: { type: 'ACCEPT' } },
            position: 0,
          },
        ],
        4,
      ),
    { code: 'invalid-position' },
  )
})

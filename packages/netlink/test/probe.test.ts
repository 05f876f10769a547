// Privileged: linkKindSupported probes inside a namespace of its own and leaves nothing behind.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { Netlink, linkKindSupported } from '../src/index.js'
import { threadNetns } from './helpers.js'

/**
 * Named namespaces, without the `lnt-*` ones: tests of other packages run beside this one and
 * make and delete theirs meanwhile; the probe would never name one that way.
 */
const namedNetns = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('lnt-'))
/** Whether `ip` itself can create the kind (in an unshared namespace, gone on exit). */
const ipCan = (kind: string): boolean => {
  const add =
    kind === 'vlan'
      ? 'ip link add name p0 type veth peer name p1 && ip link add link p0 name x type vlan id 1'
      : `ip link add name x type ${kind}`
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', add], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

t.test('kinds this kernel has, and kinds it lacks, agree with iproute2', (t) => {
  const before = threadNetns()
  const named = namedNetns()
  const h = Netlink.open()
  const links = h.links().map((l) => l.name)
  t.equal(linkKindSupported('veth'), true, 'veth')
  t.equal(linkKindSupported('bridge'), true, 'bridge')
  t.equal(linkKindSupported('macvlan'), true, 'macvlan')
  t.equal(linkKindSupported('vxlan'), true, 'vxlan')
  for (const kind of ['vlan', 'dummy', 'ipvlan'] as const)
    t.equal(linkKindSupported(kind), ipCan(kind), `${kind} as iproute2 sees it`)
  t.equal(threadNetns(), before, 'the thread is back in its namespace')
  t.equal(readlinkSync('/proc/self/ns/net'), before)
  t.same(
    h.links().map((l) => l.name),
    links,
    'no link appeared in the calling namespace',
  )
  t.same(namedNetns(), named, 'no named namespace appeared')
  h.close()
  t.end()
})

t.test('an unknown kind is a BadRequestError before any namespace is made', (t) => {
  t.throws(() => linkKindSupported('token-ring' as never), {
    name: 'BadRequestError',
    code: 'invalid-kind',
  })
  t.end()
})

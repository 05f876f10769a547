// Privileged: a socket opened for a sandbox lives in the sandbox's namespace.
import t from 'tap'
import { createSocket } from 'node:dgram'
import { readlinkSync, readdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { openSandboxSocket } from '../src/index.js'
import { rand, testOsl } from './helpers.js'

const inode = (fd: number) => /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]
/** Inodes of the UDP sockets of a namespace, as the kernel lists them there. */
const udpInodes = (path: string) =>
  execFileSync('nsenter', [`--net=${path}`, 'cat', '/proc/net/udp'], { encoding: 'utf8' })
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[9])
    .filter(Boolean)

t.test('the socket is in the sandbox namespace and Node can adopt it', async (t) => {
  const { osl } = testOsl(t)
  const sb = osl.createSandbox(`sock-${rand()}`)
  const fd = openSandboxSocket(sb.path, { type: 'udp4', address: '127.0.0.11', port: 0 })
  const ino = inode(fd) ?? 'none'
  t.ok(udpInodes(sb.path).includes(ino), 'listed by the sandbox namespace')
  t.notOk(udpInodes('/proc/self/ns/net').includes(ino), 'not by ours')
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => s.bind({ fd }, resolve))
  t.equal(s.address().address, '127.0.0.11')
  await new Promise<void>((resolve) => s.close(() => resolve()))
})

t.test('a missing sandbox is a NotFoundError and leaves no fd open', async (t) => {
  const before = readdirSync('/proc/self/fd').length
  t.throws(() => openSandboxSocket('/var/run/netns/lnt-osl-nosuch', { type: 'udp4', port: 0 }), {
    name: 'NotFoundError',
  })
  t.equal(readdirSync('/proc/self/fd').length, before)
  t.throws(() => openSandboxSocket('/proc/self/ns/net', { type: 'sctp' as 'udp4' }), {
    name: 'BadRequestError',
  })
})

// Privileged: named namespaces, compatible with `ip netns`, and thread namespace switching.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BadRequestError, ConflictError, NotFoundError } from '@libnetwork/types'
import {
  Netlink,
  createNetns,
  deleteNetns,
  deleteNetnsInBackground,
  enterNetns,
  listNetns,
  netnsExists,
  netnsPath,
  withNetns,
} from '../src/index.js'
import { testNetns, threadNetns } from './helpers.js'

t.test('create and delete a named namespace that `ip netns` sees', (t) => {
  const name = `lnt-netlink-nn-${process.pid}`
  t.teardown(() => {
    if (netnsExists(name)) deleteNetns(name)
  })
  const home = threadNetns()
  t.equal(createNetns(name), `/var/run/netns/${name}`)
  t.equal(threadNetns(), home, 'the thread is back in its own namespace')
  t.ok(listNetns().includes(name))
  t.match(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), name)
  // A fresh namespace holds only a down loopback.
  const links = JSON.parse(
    execFileSync('ip', ['-n', name, '-j', 'link'], { encoding: 'utf8' }),
  ) as { ifname: string }[]
  t.same(
    links.map((l) => l.ifname),
    ['lo'],
  )
  t.throws(() => createNetns(name), ConflictError)
  deleteNetns(name)
  t.notOk(netnsExists(name))
  t.notOk(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(name))
  t.throws(() => deleteNetns(name), NotFoundError)
  t.end()
})

t.test('delete in the background: unmounted off the main thread, then the file goes', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'lnt-netlink-bg-'))
  t.teardown(() => {
    for (const n of listNetns({ runDir })) deleteNetns(n, { runDir })
    rmSync(runDir, { recursive: true, force: true })
  })
  createNetns('a', { runDir })
  const h = Netlink.open({ netns: 'a', runDir })
  h.setLink('lo', { up: true })
  h.close()
  const mounts = () => execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' })
  t.match(mounts(), join(runDir, 'a'), 'bind-mounted while it lives')
  const done = deleteNetnsInBackground('a', { runDir })
  await done
  t.notOk(netnsExists('a', { runDir }), 'file removed')
  t.notMatch(mounts(), join(runDir, 'a'), 'unmounted')
  createNetns('a', { runDir })
  t.ok(netnsExists('a', { runDir }), 'the name is free again')

  // A stale file (no mount behind it, as after a crash) is removed too.
  writeFileSync(join(runDir, 'stale'), '')
  await deleteNetnsInBackground('stale', { runDir })
  t.notOk(netnsExists('stale', { runDir }), 'stale file removed')

  // Bad names and missing namespaces are refused at once, before anything runs.
  t.throws(() => deleteNetnsInBackground('a/b', { runDir }), BadRequestError)
  t.throws(() => deleteNetnsInBackground('missing', { runDir }), NotFoundError)
  t.same(listNetns({ runDir }), ['a'], 'nothing else touched')
})

t.test('a custom run directory', (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'lnt-netlink-run-'))
  t.teardown(() => {
    for (const n of listNetns({ runDir })) deleteNetns(n, { runDir })
    rmSync(runDir, { recursive: true, force: true })
  })
  createNetns('a', { runDir })
  createNetns('b', { runDir })
  t.same(listNetns({ runDir }), ['a', 'b'])
  const h = Netlink.open({ netns: 'a', runDir })
  h.createLink({ kind: 'veth', name: 'v0', peer: { name: 'v1', netns: 'b' } })
  h.close()
  const hb = Netlink.open({ netns: join(runDir, 'b') })
  t.ok(hb.findLink('v1'))
  hb.close()
  deleteNetns('a', { runDir })
  t.same(listNetns({ runDir }), ['b'])
  t.end()
})

t.test('names and references are validated', (t) => {
  for (const bad of ['', '.', '..', 'a/b', 'x'.repeat(256)]) {
    t.throws(() => createNetns(bad), BadRequestError, JSON.stringify(bad))
  }
  t.throws(() => deleteNetns('/etc/hostname'), BadRequestError, 'delete takes names, not paths')
  t.throws(() => netnsPath({ pid: -1 }), BadRequestError)
  t.equal(netnsPath({ pid: 1 }), '/proc/1/ns/net')
  t.throws(() => Netlink.open({ netns: 'lnt-netlink-does-not-exist' }), NotFoundError)
  t.end()
})

t.test('withNetns runs inside and always switches back, even when fn throws', (t) => {
  const ns = testNetns(t, 'with')
  const home = threadNetns()
  const inside = withNetns(ns, () => threadNetns())
  t.not(inside, home)
  t.equal(threadNetns(), home)
  t.throws(
    () =>
      withNetns(ns, () => {
        throw new Error('boom')
      }),
    /boom/,
  )
  t.equal(threadNetns(), home)
  t.end()
})

t.test('enterNetns moves this thread until the returned function is called', (t) => {
  const ns = testNetns(t, 'enter')
  const home = threadNetns()
  const leave = enterNetns(ns)
  try {
    t.equal(
      threadNetns(),
      withNetns(ns, () => threadNetns()),
    )
    t.not(threadNetns(), home)
  } finally {
    leave()
  }
  t.equal(threadNetns(), home)
  leave() // idempotent
  t.equal(threadNetns(), home)
  t.end()
})

// The harness cleans up after itself: destroy() (what teardown runs, failed test or not) kills
// every process it started and deletes every namespace it made.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { Underlay, namespaces, until } from './harness.js'

const isRoot = process.getuid?.() === 0

t.test(
  'destroy kills the processes and deletes the namespaces',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 2 })
    const [h1, h2] = u.hosts
    t.same(
      (await namespaces(u.prefix)).sort(),
      [`${u.prefix}-h1`, `${u.prefix}-h2`, `${u.prefix}-ul`],
      'an underlay namespace and one per host',
    )
    // The hosts reach each other over the underlay bridge.
    const ping = await h1!.exec(['ping', '-c', '1', '-W', '2', h2!.ip])
    t.match(ping, /1 received/)
    // A long-running process in a host namespace, and a process it started.
    const p = h2!.spawn(['sh', '-c', 'sleep 200 & echo $!; wait'])
    const grandchild = Number(await p.waitLine((l) => /^\d+$/.test(l)))
    t.ok(grandchild > 0)
    await u.destroy()
    t.notOk(p.running, 'the process is gone')
    // Killed with its group; gone once reaped (a zombie until then).
    const dead = () => {
      try {
        return / Z /.test(readFileSync(`/proc/${grandchild}/stat`, 'utf8'))
      } catch {
        return true
      }
    }
    await until('the grandchild to die', dead, 5_000)
    t.ok(dead(), 'and what it started')
    t.same(await namespaces(u.prefix), [], 'no namespace left')
  },
)

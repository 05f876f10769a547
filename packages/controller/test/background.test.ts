import t from 'tap'
import { Background } from '../src/background.js'

t.test('keyed background work: wait per key, idle, failures reported once', async (t) => {
  const bg = new Background('thing-not-removed', 'things')
  let finish!: () => void
  bg.run('a', new Promise<void>((r) => (finish = r)))
  bg.run('b', Promise.reject(new Error('disk on fire')))
  t.ok(bg.has('a'))
  t.equal(bg.wait('c'), undefined, 'nothing for an unknown key')
  let waited = false
  const w = bg.wait('a')!.then(() => (waited = true))
  await new Promise((r) => setImmediate(r))
  t.notOk(waited, 'waits while the work runs')
  finish()
  await w
  t.notOk(bg.has('a'), 'done work is forgotten')
  await t.rejects(bg.settled(), {
    code: 'thing-not-removed',
    category: 'unavailable',
    message: /1 background removal\(s\) of things failed: Error: disk on fire/,
  })
  await bg.settled() // reported once
  await bg.idle()
})

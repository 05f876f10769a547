// The daemon waits for a global store that does not answer yet (etcd down at start), saying
// so at every try, instead of exiting; other errors are not waited out.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { BadRequestError, UnavailableError, type Logger } from '@libnetwork/types'
import { waitForGlobalStore } from '../src/global-store.js'

function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = []
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, msg, fields })
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
  return { logger, lines }
}

/** A store whose reads fail with `err` for the first `n` calls. */
function failingFirst(n: number, err: () => Error) {
  const inner = memoryStore()
  let calls = 0
  return {
    store: Object.assign(Object.create(inner) as typeof inner, {
      get: async (key: string) => {
        calls++
        if (calls <= n) throw err()
        return inner.get(key)
      },
    }),
    calls: () => calls,
  }
}

t.test('an unreachable store is waited for, with a warning naming it at every try', async (t) => {
  const { logger, lines } = recordingLogger()
  const s = failingFirst(
    3,
    () => new UnavailableError('etcd-unavailable', 'etcd did not answer get'),
  )
  await waitForGlobalStore(s.store, ['http://10.0.0.2:2379'], logger, {
    firstDelayMs: 1,
    maxDelayMs: 4,
  })
  t.equal(s.calls(), 4, 'three failed tries, then one that answered')
  const warns = lines.filter((l) => l.level === 'warn')
  t.equal(warns.length, 3)
  t.match(warns[0]!.msg, /global store \(etcd\) does not answer/)
  t.same(warns[0]!.fields.endpoints, ['http://10.0.0.2:2379'], 'the endpoints are named')
  t.same(
    warns.map((w) => w.fields.retryInMs),
    [1, 2, 4],
    'the delay backs off to its bound',
  )
  t.ok(
    lines.some((l) => l.level === 'info' && /answers/.test(l.msg)),
    'and says when it answers',
  )
})

t.test('a store that answers at once is not waited for and logs nothing', async (t) => {
  const { logger, lines } = recordingLogger()
  const s = failingFirst(0, () => new Error('unused'))
  await waitForGlobalStore(s.store, ['x'], logger)
  t.equal(s.calls(), 1)
  t.same(lines, [])
})

t.test('an error that is not "unavailable" is thrown, not waited out', async (t) => {
  const { logger } = recordingLogger()
  const s = failingFirst(1, () => new BadRequestError('bad-key', 'bad key'))
  await t.rejects(waitForGlobalStore(s.store, ['x'], logger, { firstDelayMs: 1 }), {
    code: 'bad-key',
  })
  t.equal(s.calls(), 1)
})

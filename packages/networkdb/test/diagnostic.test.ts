import t from 'tap'
import { LocalDB, startDiagnosticServer } from '../src/index.js'
import { startCluster, stopAll, waitFor } from './fixtures/cluster.js'

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url)
  return { status: r.status, body: await r.json() }
}
const b64 = (s: string): string => Buffer.from(s).toString('base64')

t.test('diagnostic operations answer as upstream', async (t) => {
  const db = new LocalDB({ nodeId: 'diag' })
  const s = await startDiagnosticServer(db)
  t.teardown(() => s.close())
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const j = (path: string): Promise<{ status: number; body: any }> =>
    get(`${s.url}${path}${path.includes('?') ? '&' : '?'}json`)
  t.same((await j('/ready')).body, { message: 'OK', details: null })
  t.ok((await j('/help')).body.details.help['/gettable'])
  t.same((await j('/joinnetwork?nid=net1')).body, { message: 'OK', details: null })
  // values are base64, as upstream
  const c = await j(`/createentry?tname=t1&nid=net1&key=k&value=${b64('hello')}`)
  t.same(c.body, { message: 'OK', details: null })
  t.equal(new TextDecoder().decode(db.getEntry('t1', 'net1', 'k').value), 'hello')
  t.same((await j('/getentry?tname=t1&nid=net1&key=k')).body, {
    message: 'OK',
    details: { key: 'k', value: b64('hello'), owner: '' },
  })
  // `unsafe`: the value as given, both ways
  await j('/updateentry?tname=t1&nid=net1&key=k&value=raw&unsafe')
  t.equal((await j('/getentry?tname=t1&nid=net1&key=k&unsafe')).body.details.value, 'raw')
  t.same((await j('/gettable?tname=t1&nid=net1')).body, {
    message: 'OK',
    details: { size: 1, entries: [{ key: 'k', value: b64('raw'), owner: 'diag' }] },
  })
  t.same((await j('/networkstats?nid=net1')).body, {
    message: 'OK',
    details: { entries: 1, qlen: 0 },
  })
  t.same((await j('/networkstats?nid=nope')).body.details, { entries: -1, qlen: -1 })
  t.same((await j('/networkpeers?nid=net1')).body, {
    message: 'OK',
    details: { size: 1, entries: [{ '-=name': 'orphan-diag', ip: 'unknown' }] },
  })
  // failures: HTTP 200, "FAIL" and the error; state unchanged
  const bad = await j('/createentry?tname=t1&nid=net1&key=k2&value=not*base64')
  t.equal(bad.status, 200)
  t.equal(bad.body.message, 'FAIL')
  t.match(bad.body.details.error, /base64/)
  t.throws(() => db.getEntry('t1', 'net1', 'k2'), 'nothing was written')
  const dup = await j('/joinnetwork?nid=net1')
  t.equal(dup.body.message, 'FAIL')
  t.match(dup.body.details.error, /already joined/)
  const missing = await j('/createentry?tname=t1&nid=net1&key=k')
  t.same(missing.body, {
    message: 'missing parameter',
    details: { usage: '/createentry?tname=table_name&nid=network_id&key=k&value=v' },
  })
  t.equal((await j('/deleteentry?tname=t1&nid=net1&key=k')).body.message, 'OK')
  t.equal((await j('/getentry?tname=t1&nid=net1&key=k')).body.message, 'FAIL')
  t.equal((await j('/nope')).status, 404)
  t.equal((await j('/join?members=127.0.0.1:1')).body.message, 'FAIL')
  // without `json`: upstream's text form
  const text = await (await fetch(`${s.url}/networkstats?nid=net1`)).text()
  t.equal(text, 'OK\nentries: 0, qlen: 0')
  t.equal((await j('/leavenetwork?nid=net1')).body.message, 'OK')
  t.same(db.networks(), [])
})

t.test('diagnostic join and peers on a cluster node', async (t) => {
  const [a, b] = await startCluster(1, {}, 'dga').then(async (x) => [
    x[0]!,
    (await startCluster(1, {}, 'dgb'))[0]!,
  ])
  t.teardown(() => stopAll([a!, b!]))
  const s = await startDiagnosticServer(b!.db)
  t.teardown(() => s.close())
  const r = await get(`${s.url}/join?members=${a!.address}&json`)
  t.same(r.body, { message: 'OK', details: null })
  await waitFor(() => a!.m.alive().length === 1, 'a sees b')
  const peers = await get(`${s.url}/clusterpeers?json`)
  t.same(peers.body.details.entries.map((e: Record<string, string>) => e['-=name']).sort(), [
    'dga-0',
    'dgb-0',
  ])
  t.ok(peers.body.details.entries.every((e: Record<string, string>) => e.ip === '127.0.0.1'))
})

import t from 'tap'
import { LocalDB, startDiagnosticServer } from '../src/index.js'
import { startCluster, stopAll, waitFor } from './fixtures/cluster.js'

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url)
  return { status: r.status, body: await r.json() }
}

t.test('diagnostic operations on a local database', async (t) => {
  const db = new LocalDB({ nodeId: 'diag' })
  const s = await startDiagnosticServer(db)
  t.teardown(() => s.close())
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.same((await get(`${s.url}/ready`)).body, { ready: true, nodeId: 'diag' })
  t.ok((await get(`${s.url}/help`)).body['/gettable'])
  t.equal((await get(`${s.url}/joinnetwork?nid=net1`)).status, 200)
  const c = await get(`${s.url}/createentry?tname=t1&nid=net1&key=k&value=hello`)
  t.equal(c.status, 200)
  t.equal(Buffer.from(c.body.value, 'base64').toString(), 'hello')
  t.equal(c.body.owner, 'diag')
  const u = await get(`${s.url}/updateentry?tname=t1&nid=net1&key=k&value=AAEC&encoding=base64`)
  t.same([...Buffer.from(u.body.value, 'base64')], [0, 1, 2])
  t.equal((await get(`${s.url}/gettable?tname=t1&nid=net1`)).body.entries.length, 1)
  t.same((await get(`${s.url}/networkstats?nid=net1`)).body, {
    network: 'net1',
    entries: 1,
    peers: 1,
  })
  t.same((await get(`${s.url}/networkpeers?nid=net1`)).body, { network: 'net1', peers: ['diag'] })
  t.same((await get(`${s.url}/clusterpeers`)).body.peers, [{ name: 'diag', status: 'active' }])
  t.equal((await get(`${s.url}/deleteentry?tname=t1&nid=net1&key=k`)).status, 200)
  const missing = await get(`${s.url}/getentry?tname=t1&nid=net1&key=k`)
  t.equal(missing.status, 404)
  t.equal(missing.body.error.code, 'networkdb.entry-not-found')
  const dup = await get(`${s.url}/joinnetwork?nid=net1`)
  t.equal(dup.status, 409)
  const bad = await get(`${s.url}/createentry?tname=t1&nid=net1&key=k`)
  t.equal(bad.status, 400)
  t.equal(bad.body.error.code, 'networkdb.diagnostic-missing-param')
  t.equal((await get(`${s.url}/nope`)).status, 404)
  t.equal((await get(`${s.url}/join?members=127.0.0.1:1`)).status, 404)
  t.equal((await get(`${s.url}/leavenetwork?nid=net1`)).status, 200)
  t.same(db.networks(), [])
})

t.test('diagnostic join on a cluster node', async (t) => {
  const [a, b] = await startCluster(1, {}, 'dga').then(async (x) => [
    x[0]!,
    (await startCluster(1, {}, 'dgb'))[0]!,
  ])
  t.teardown(() => stopAll([a!, b!]))
  const s = await startDiagnosticServer(b!.db)
  t.teardown(() => s.close())
  const r = await get(`${s.url}/join?members=${a!.address}`)
  t.same(r.body, { reached: 1 })
  await waitFor(() => a!.m.alive().length === 1, 'a sees b')
})

// Privileged: two sandboxes on a bridge in the (throwaway) host namespace exchange UDP —
// one joined by moving a veth end in, one by joinVeth. The server and the client are node
// processes started inside each sandbox with nsenter.
import { spawn } from 'node:child_process'
import t from 'tap'
import { IP, InterfaceAddress } from '@libnetwork/types'
import { rand, testOsl } from './helpers.js'

const SERVER = `const s = require('node:dgram').createSocket('udp4')
s.on('message', (m, r) => s.send(String(m).toUpperCase(), r.port, r.address))
s.bind(7100, '10.88.0.3', () => console.log('ready'))`
const CLIENT = `const s = require('node:dgram').createSocket('udp4')
s.on('message', (m) => { console.log(String(m)); process.exit(0) })
const go = () => s.send('hello sandbox', 7100, '10.88.0.3')
go(); setInterval(go, 200).unref(); setTimeout(() => process.exit(3), 10000)`

function inNs(path: string, code: string) {
  return spawn('nsenter', [`--net=${path}`, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

t.test('two sandboxes reach each other through a bridge', async (t) => {
  const { osl, host } = testOsl(t)
  host.createLink({ kind: 'bridge', name: 'br0', up: true })
  const a = osl.createSandbox(`lnt-osl-a-${rand()}`)
  const b = osl.createSandbox(`lnt-osl-b-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vetha', peer: { name: 'tmpa' }, master: 'br0', up: true })
  a.join({
    srcName: 'tmpa',
    addresses: [InterfaceAddress.parse('10.88.0.2/24')],
    gateway: IP.parse('10.88.0.1'),
  })
  b.joinVeth({
    hostName: 'vethb',
    master: 'br0',
    addresses: [InterfaceAddress.parse('10.88.0.3/24')],
  })

  const server = inNs(b.path, SERVER)
  t.teardown(() => {
    server.kill()
  })
  await new Promise<void>((resolve, reject) => {
    server.stdout.once('data', () => resolve())
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
  const client = inNs(a.path, CLIENT)
  let out = ''
  client.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => client.once('exit', resolve))
  t.equal(code, 0)
  t.equal(out.trim(), 'HELLO SANDBOX')
})

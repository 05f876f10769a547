// The API on TCP: only with TLS and client certificates a CA signed, or an explicit insecure
// opt-in limited to loopback. Certificates are made with openssl in the test.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiServer, createLogger, parseConfig, runCli } from '../src/index.js'
import { daemonConfig } from '../src/daemon-main.js'
import { loadTls } from '../src/tls.js'
import { makeCerts } from './certs.js'
import { FakeBackend } from './fake-backend.js'

const base = ['--exec-root', '/tmp/x/run', '--data-root', '/tmp/x/lib']

t.test('TCP without TLS is refused, except an insecure opt-in on loopback', async (t) => {
  const refused: [string[], string, RegExp][] = [
    [['--tcp', '0.0.0.0:2376'], 'tcp-needs-tls', /--tcp 0\.0\.0\.0:2376 needs --tlsverify/],
    [['--tcp', '127.0.0.1:2385'], 'tcp-needs-tls', /or --insecure-tcp on a loopback address/],
    [
      ['--tcp', '0.0.0.0:2376', '--insecure-tcp'],
      'insecure-tcp-not-loopback',
      /limited to loopback/,
    ],
    [['--tcp', '[::]:2376', '--insecure-tcp'], 'insecure-tcp-not-loopback', /not ::/],
    [
      ['--tcp', '0.0.0.0:2376', '--tlsverify'],
      'tls-incomplete',
      /--tlscacert, --tlscert, --tlskey/,
    ],
    [
      ['--tcp', '0.0.0.0:2376', '--tlscert', 'c.pem'],
      'tls-needs-verify',
      /--tlscert need --tlsverify/,
    ],
    [
      ['--tlsverify', '--tlscacert', 'a', '--tlscert', 'b', '--tlskey', 'c'],
      'tls-without-tcp',
      /give --tcp/,
    ],
  ]
  for (const [argv, code, message] of refused) {
    t.throws(() => daemonConfig([...base, ...argv]), { code, message }, argv.join(' '))
  }
  const insecure = daemonConfig([...base, '--tcp', '127.0.0.1:2385', '--insecure-tcp'])
  t.same(insecure !== 'help' && [insecure.tcp, insecure.insecureTcp, insecure.tls], [
    { host: '127.0.0.1', port: 2385 },
    true,
    undefined,
  ])
  const v6 = daemonConfig([...base, '--tcp', '[::1]:2385', '--insecure-tcp'])
  t.ok(v6 !== 'help' && v6.insecureTcp, '::1 is loopback')
  const tls = daemonConfig([
    ...base,
    ...['--tcp', '0.0.0.0:2376', '--tlsverify', '--tlscacert', 'ca.pem'],
    ...['--tlscert', 'cert.pem', '--tlskey', 'key.pem'],
  ])
  t.same(tls !== 'help' && tls.tls, { caCert: 'ca.pem', cert: 'cert.pem', key: 'key.pem' })
})

t.test('ApiServer refuses plain TCP on a non-loopback address', async (t) => {
  const server = new ApiServer({
    backend: new FakeBackend(),
    logger: createLogger('error', () => undefined),
    version: 'test',
    tcp: { host: '0.0.0.0', port: 0 },
  })
  await t.rejects(server.start(), { code: 'tcp-needs-tls' })
  t.equal(server.tcpAddress(), undefined, 'nothing listens')
})

t.test('with --tlsverify only clients with a certificate the CA signed get in', async (t) => {
  const { c, backend, server } = await tlsServer(t)
  const { port } = server.tcpAddress()!
  const post = (client?: { cert: string; key: string }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/networks',
          ca: c.pem(c.ca),
          ...(client ? { cert: c.pem(client.cert), key: c.pem(client.key) } : {}),
          headers: { 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode!))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ name: `n${backend.networks.size}` }))
    })
  t.equal(await post({ cert: c.clientCert, key: c.clientKey }), 201, 'signed client: created')
  t.equal(backend.networks.size, 1)
  await t.rejects(post(), /certificate|socket hang up|ECONNRESET/, 'no client certificate')
  await t.rejects(
    post({ cert: c.rogueCert, key: c.rogueKey }),
    /certificate|unknown ca|socket hang up|ECONNRESET/i,
    'a certificate the CA did not sign',
  )
  t.equal(backend.networks.size, 1, 'nothing created without a trusted certificate')
})

t.test('the config file takes Docker names for TLS, and insecure_tcp', async (t) => {
  const cfg = parseConfig(
    [
      '[daemon]',
      'tcp = "0.0.0.0:2376"',
      'tlsverify = true',
      'tlscacert = "/etc/dnet/ca.pem"',
      'tlscert = "/etc/dnet/cert.pem"',
      'tlskey = "/etc/dnet/key.pem"',
    ].join('\n'),
  )
  t.same(cfg.tls, {
    caCert: '/etc/dnet/ca.pem',
    cert: '/etc/dnet/cert.pem',
    key: '/etc/dnet/key.pem',
  })
  t.throws(() => parseConfig('[daemon]\ntlsverify = true\ntlscert = "c.pem"'), {
    code: 'tls-incomplete',
    message: /daemon.tlsverify needs daemon.tlscacert, daemon.tlskey/,
  })
  t.equal(parseConfig('[daemon]\ninsecure_tcp = true').insecureTcp, true)
  t.throws(() => parseConfig('[daemon]\ninsecure_tcp = "yes"'), { code: 'invalid-config' })
})

t.test('the CLI talks TLS with --tlsverify and its certificate', async (t) => {
  const { c, backend, server } = await tlsServer(t)
  const host = `tcp://127.0.0.1:${server.tcpAddress()!.port}`
  let err = ''
  const run = (...argv: string[]) => runCli(argv, { out: () => undefined }, (s) => (err += s), {})
  const tls = ['--tlsverify', '--tlscacert', c.ca, '--tlscert', c.clientCert]
  t.equal(
    await run('-H', host, ...tls, `--tlskey=${c.clientKey}`, 'network', 'create', 'a'),
    0,
    err,
  )
  t.equal(backend.networks.size, 1, 'created over TLS')
  err = ''
  t.equal(await run('-H', host, 'network', 'create', 'b'), 1, 'plain HTTP to a TLS port fails')
  t.match(err, /cannot reach the dnet daemon|Error/)
  err = ''
  t.equal(await run('-H', host, '--tlsverify', '--tlscacert', c.ca, 'network', 'ls'), 2)
  t.match(err, /--tlsverify needs --tlscert/)
  err = ''
  const rogue = [
    '--tlsverify',
    '--tlscacert',
    c.ca,
    '--tlscert',
    c.rogueCert,
    '--tlskey',
    c.rogueKey,
  ]
  t.equal(await run('-H', host, ...rogue, 'network', 'create', 'c'), 1, 'untrusted client refused')
  err = ''
  t.equal(await run('--tlsverify', ...tls.slice(1), '--tlskey', c.clientKey, 'network', 'ls'), 2)
  t.match(err, /--tlsverify is for tcp:\/\/ hosts/)
  t.equal(backend.networks.size, 1, 'nothing else created')
})

/** Certificates in a scratch folder and an API server on loopback TCP that requires them. */
async function tlsServer(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'dnet-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const c = makeCerts(dir)
  const backend = new FakeBackend()
  const server = new ApiServer({
    backend,
    logger: createLogger('error', () => undefined),
    version: 'test',
    tcp: { host: '127.0.0.1', port: 0 },
    tls: loadTls({ caCert: c.ca, cert: c.serverCert, key: c.serverKey }),
  })
  await server.start()
  t.teardown(() => server.stop())
  return { c, backend, server }
}

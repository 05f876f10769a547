// Test certificates made with openssl: a CA, a server certificate for 127.0.0.1 and a client
// certificate it signed, and a client certificate nobody trusted (self-signed).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCerts {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  rogueCert: string
  rogueKey: string
  pem(path: string): Buffer
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

export function makeCerts(dir: string): TestCerts {
  const p = (f: string) => join(dir, f)
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir })
  ssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    p('ca-key.pem'),
    '-out',
    p('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  )
  ssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    p('rogue-key.pem'),
    '-out',
    p('rogue.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=rogue',
  )
  const signed = (name: string, ext: string, serial: string) => {
    writeFileSync(p(`${name}.ext`), ext)
    ssl(
      'req',
      ...EC,
      '-keyout',
      p(`${name}-key.pem`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    )
    ssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca-key.pem'),
      '-set_serial',
      serial,
      '-days',
      '2',
      '-out',
      p(`${name}-cert.pem`),
      '-extfile',
      p(`${name}.ext`),
    )
  }
  signed('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', '2')
  signed('client', 'extendedKeyUsage=clientAuth\n', '3')
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server-cert.pem'),
    serverKey: p('server-key.pem'),
    clientCert: p('client-cert.pem'),
    clientKey: p('client-key.pem'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue-key.pem'),
    pem: (path) => readFileSync(path),
  }
}

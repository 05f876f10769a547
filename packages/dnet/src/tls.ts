/**
 * Who may reach the API over TCP. Docker's rule: TCP only with TLS and client certificates
 * signed by the given CA (`--tlsverify`, `--tlscacert`, `--tlscert`, `--tlskey`), or an explicit
 * insecure opt-in (`--insecure-tcp`) that is limited to loopback and logged loudly at start.
 */
import { readFileSync } from 'node:fs'
import { BadRequestError } from '@libnetwork/types'

/** The files of the TCP listener's TLS: clients must present a certificate `caCert` signed. */
export interface TlsFiles {
  caCert: string
  cert: string
  key: string
}

/** PEM contents for the server: its certificate and key, and the CA of client certificates. */
export interface TlsMaterial {
  ca: Buffer
  cert: Buffer
  key: Buffer
}

function fail(code: string, message: string, details: Record<string, unknown> = {}): never {
  throw new BadRequestError(code, message, { details })
}

/** 127.0.0.0/8 and ::1 (also as IPv4-mapped). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^::ffff:/i, '')
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^(0{0,4}:){2,7}0{0,3}1$/.test(h)
}

/**
 * Turn the TLS settings (flags or config keys, named in `names`) into files, or undefined when
 * TLS is off. Verification is the only TLS mode: certificates without it are refused.
 */
export function tlsSettings(
  s: { verify?: boolean; caCert?: string; cert?: string; key?: string },
  names: { verify: string; caCert: string; cert: string; key: string },
): TlsFiles | undefined {
  const given = (['caCert', 'cert', 'key'] as const).filter((k) => s[k] !== undefined)
  if (!s.verify) {
    if (given.length > 0)
      fail(
        'tls-needs-verify',
        `${given.map((k) => names[k]).join(', ')} need ${names.verify}: the API serves TLS only with client certificates`,
      )
    return undefined
  }
  const missing = (['caCert', 'cert', 'key'] as const).filter((k) => !s[k])
  if (missing.length > 0)
    fail(
      'tls-incomplete',
      `${names.verify} needs ${missing.map((k) => names[k]).join(', ')} too (the CA of client certificates, the server's certificate and key)`,
      { missing: missing.map((k) => names[k]) },
    )
  return { caCert: s.caCert!, cert: s.cert!, key: s.key! }
}

/** The listeners a config asks for are allowed: refused otherwise, before anything starts. */
export function checkListeners(cfg: {
  tcp?: { host: string; port: number }
  tls?: TlsFiles
  insecureTcp?: boolean
}): void {
  if (cfg.tls && !cfg.tcp)
    fail('tls-without-tcp', '--tlsverify is for the TCP listener: give --tcp IP:PORT too')
  if (!cfg.tcp || cfg.tls) return
  const where = `${cfg.tcp.host}:${cfg.tcp.port}`
  if (!cfg.insecureTcp)
    fail(
      'tcp-needs-tls',
      `--tcp ${where} needs --tlsverify with --tlscacert, --tlscert and --tlskey (clients must present certificates), or --insecure-tcp on a loopback address`,
      { tcp: where },
    )
  if (!isLoopback(cfg.tcp.host))
    fail(
      'insecure-tcp-not-loopback',
      `--insecure-tcp is limited to loopback (127.0.0.1 or ::1), not ${cfg.tcp.host}: use --tlsverify for other addresses`,
      { tcp: where },
    )
}

/** Read the PEM files; a missing or unreadable one is a configuration error. */
export function loadTls(files: TlsFiles): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path)
    } catch (cause) {
      throw new BadRequestError(
        'invalid-config',
        `cannot read the ${what} ${path}: ${(cause as Error).message}`,
        { details: { path }, cause },
      )
    }
  }
  return {
    ca: read(files.caCert, 'TLS CA certificate'),
    cert: read(files.cert, 'TLS certificate'),
    key: read(files.key, 'TLS key'),
  }
}

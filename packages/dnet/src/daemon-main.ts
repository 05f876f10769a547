import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { LibnetworkError } from '@libnetwork/types'
import { checkPrefix, defaults, loadConfig, parseHostPort, type DaemonConfig } from './config.js'
import { Daemon, type BackendFactory } from './daemon.js'
import { createLogger, isLevel } from './log.js'
import { checkListeners, tlsSettings } from './tls.js'

const HELP = `Usage: dnet -d [OPTIONS]

Run the libnetwork daemon: the REST API on a unix socket (and optionally loopback TCP) over a
controller with the null, host and bridge drivers and the embedded local store.

Options:
  -c, --config FILE      TOML config file (see the README for its keys)
      --socket PATH      unix socket (default /var/run/dnet/dnet.sock)
      --tcp IP:PORT      also listen on TCP: needs --tlsverify (or --insecure-tcp on loopback)
      --tlsverify        TLS on TCP; clients must present a certificate --tlscacert signed
      --tlscacert FILE   CA of the client certificates (PEM)
      --tlscert FILE     the daemon's certificate (PEM)
      --tlskey FILE      the daemon's key (PEM)
      --insecure-tcp     allow --tcp without TLS, on 127.0.0.1 or ::1 only: every local user
                         then controls the daemon as root (logged at start)
      --exec-root DIR    socket, pid file and sandbox files (default /var/run/dnet)
      --data-root DIR    the embedded store (default /var/lib/dnet)
      --pid-file PATH    (default <exec-root>/dnet.pid)
      --log-level LEVEL  debug, info, warn or error (default info)
      --sandbox-prefix P namespace name prefix of containers (default dnet-sb-)
      --resolv-conf FILE host resolv.conf for containers' upstream DNS (default /etc/resolv.conf)
      --default-network NAME   bridge network created at start ("" for none)
  -h, --help
`

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    return pkg.version
  } catch {
    return '0.0.0'
  }
}

/** Parse daemon flags over the config file over the defaults. */
export function daemonConfig(argv: string[]): DaemonConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      socket: { type: 'string' },
      tcp: { type: 'string' },
      tlsverify: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      'insecure-tcp': { type: 'boolean' },
      'exec-root': { type: 'string' },
      'data-root': { type: 'string' },
      'pid-file': { type: 'string' },
      'log-level': { type: 'string' },
      'default-network': { type: 'string' },
      'resolv-conf': { type: 'string' },
      'sandbox-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  const base = defaults(values['exec-root'], values['data-root'])
  const cfg = values.config ? loadConfig(values.config, base) : base
  if (values.socket) cfg.socket = values.socket
  if (values.tcp) cfg.tcp = parseHostPort(values.tcp, '--tcp')
  if (values.tlsverify || values.tlscacert || values.tlscert || values.tlskey) {
    // flags over the file's TLS settings as a whole
    const tls = tlsSettings(
      {
        verify: values.tlsverify ?? cfg.tls !== undefined,
        caCert: values.tlscacert ?? cfg.tls?.caCert,
        cert: values.tlscert ?? cfg.tls?.cert,
        key: values.tlskey ?? cfg.tls?.key,
      },
      { verify: '--tlsverify', caCert: '--tlscacert', cert: '--tlscert', key: '--tlskey' },
    )
    if (tls) cfg.tls = tls
  }
  if (values['insecure-tcp']) cfg.insecureTcp = true
  checkListeners(cfg)
  if (values['pid-file']) cfg.pidFile = values['pid-file']
  if (values['resolv-conf']) cfg.resolvConf = values['resolv-conf']
  if (values['sandbox-prefix'])
    cfg.sandboxPrefix = checkPrefix(values['sandbox-prefix'], '--sandbox-prefix')
  if (values['default-network'] !== undefined) cfg.defaultNetwork = values['default-network']
  if (values['log-level']) {
    if (!isLevel(values['log-level']))
      throw new Error(`--log-level must be debug, info, warn or error`)
    cfg.logLevel = values['log-level']
  }
  return cfg
}

/** `dnet -d`: run until SIGTERM or SIGINT, then shut down cleanly. Returns the exit code. */
export async function runDaemon(argv: string[], factory: BackendFactory): Promise<number> {
  let cfg: DaemonConfig | 'help'
  try {
    cfg = daemonConfig(argv)
  } catch (e) {
    process.stderr.write(`dnet: ${(e as Error).message}\n`)
    return 2
  }
  if (cfg === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  const logger = createLogger(cfg.logLevel)
  const daemon = new Daemon(cfg, logger, factory, version())
  try {
    await daemon.start()
  } catch (e) {
    const msg = LibnetworkError.isInstance(e) ? e.message : ((e as Error).stack ?? String(e))
    logger.error('dnet daemon failed to start', { err: msg })
    return 1
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal })
      daemon.stop().then(
        () => resolve(0),
        (e: unknown) => {
          logger.error('shutdown failed', { err: String(e) })
          resolve(1)
        },
      )
    }
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    process.once('SIGINT', () => shutdown('SIGINT'))
  })
}

import { parseArgs } from 'node:util'
import { commands, type Io } from './commands.js'
import { call, CliError, parseEndpoint, withTls, type Endpoint } from './client.js'
import { optionHelp } from './option-help.js'
import { cliVersion } from './version.js'

export const DEFAULT_HOST = 'unix:///var/run/dnet/dnet.sock'

function mainHelp(): string {
  const lines = [
    'Usage: dnet [-H HOST] COMMAND SUBCOMMAND [OPTIONS] [ARGS]',
    '       dnet -d [--config FILE] [DAEMON OPTIONS]   run the daemon (dnet -d --help)',
    '',
    'Global options:',
    `  -H, --host HOST   daemon address: unix:///path or tcp://host:port (default ${DEFAULT_HOST}, or $DNET_HOST)`,
    '      --tlsverify   TLS to a tcp:// daemon, with --tlscacert FILE (its CA), --tlscert FILE',
    "                    and --tlskey FILE (this client's certificate and key)",
    '  -h, --help        show help (also after any command)',
    '  -v, --version     print the version of this dnet',
    '',
    'Commands:',
    `  ${'version'.padEnd(20)} Show the version of the CLI and of the daemon`,
  ]
  for (const [group, subs] of Object.entries(commands)) {
    for (const [name, c] of Object.entries(subs))
      lines.push(`  ${`${group} ${name}`.padEnd(20)} ${c.summary}`)
  }
  return lines.join('\n') + '\n'
}

function commandHelp(group: string, name: string): string {
  const c = commands[group]![name]!
  const opts = Object.entries(c.options).map(([k, o]) => {
    const h = optionHelp[k]
    const value = o.type === 'string' ? ` ${h?.value ?? 'VALUE'}` : ''
    const flag = `${'short' in o && o.short ? `-${o.short}, ` : '    '}--${k}${value}`
    const more = 'multiple' in o && o.multiple ? ' (repeatable)' : ''
    return `  ${flag.padEnd(28)} ${h?.text ?? ''}${more}`.trimEnd()
  })
  return [
    `Usage: ${c.usage}`,
    '',
    c.summary,
    ...(opts.length ? ['', 'Options:', ...opts] : []),
    '',
  ].join('\n')
}

/** The global TLS flags (Docker's names) and where each goes. */
const TLS_FLAGS: Record<string, 'caCert' | 'cert' | 'key'> = {
  '--tlscacert': 'caCert',
  '--tlscert': 'cert',
  '--tlskey': 'key',
}

/** Run the CLI; returns the process exit code. Output goes to `io.out`, errors to `err`. */
export async function runCli(
  argv: string[],
  io: Io,
  err: (text: string) => void,
  env = process.env,
): Promise<number> {
  let host = env.DNET_HOST ?? DEFAULT_HOST
  const tls: { verify: boolean; caCert?: string; cert?: string; key?: string } = { verify: false }
  const rest = [...argv]
  while (rest[0]?.startsWith('-')) {
    const flag = rest.shift()!
    if (flag === '-h' || flag === '--help') {
      io.out(mainHelp())
      return 0
    }
    if (flag === '-v' || flag === '--version') {
      io.out(`dnet version ${cliVersion()}\n`)
      return 0
    }
    if (flag === '--tlsverify') {
      tls.verify = true
      continue
    }
    const tlsFlag = TLS_FLAGS[flag.split('=')[0]!]
    if (tlsFlag) {
      const v = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : rest.shift()
      if (!v) return usageError(err, `${flag} needs a value`)
      tls[tlsFlag] = v
      continue
    }
    if (flag === '-H' || flag === '--host') {
      const v = rest.shift()
      if (!v) return usageError(err, `${flag} needs a value`)
      host = v
    } else if (flag.startsWith('--host=')) host = flag.slice('--host='.length)
    else if (flag.startsWith('-H=')) host = flag.slice('-H='.length)
    else return usageError(err, `unknown global option ${flag}`)
  }
  let endpoint: () => Endpoint
  try {
    const ep = withTls(parseEndpoint(host), tls)
    endpoint = () => ep
  } catch (e) {
    // a bad -H is reported by the command that needs the daemon, as before
    if (!(e instanceof CliError) || (!tls.verify && !tls.caCert && !tls.cert && !tls.key))
      endpoint = () => parseEndpoint(host)
    else return usageError(err, e.message)
  }
  const [group, name, ...args] = rest
  if (!group) {
    io.out(mainHelp())
    return 2
  }
  if (group === 'version') return version(endpoint, io, err, name)
  const subs = commands[group]
  if (!subs) return usageError(err, `unknown command ${JSON.stringify(group)}`)
  if (!name || name === '--help' || name === '-h') {
    io.out(
      Object.keys(subs)
        .map((n) => commandHelp(group, n))
        .join('\n'),
    )
    return name ? 0 : 2
  }
  const cmd = subs[name]
  if (!cmd)
    return usageError(
      err,
      `unknown command "${group} ${name}"; try: ${Object.keys(subs).join(', ')}`,
    )
  let parsed
  try {
    parsed = parseArgs({
      args,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (e) {
    return usageError(err, `${(e as Error).message}\n\n${commandHelp(group, name)}`)
  }
  if (parsed.values.help) {
    io.out(commandHelp(group, name))
    return 0
  }
  try {
    await cmd.run(endpoint(), io, parsed.values, parsed.positionals)
    return 0
  } catch (e) {
    if (e instanceof CliError) {
      err(e.message + '\n')
      return e.exitCode
    }
    throw e
  }
}

/** `dnet version`: this CLI's version, then the daemon's (GET /version). */
async function version(
  endpoint: () => Endpoint,
  io: Io,
  err: (t: string) => void,
  extra: string | undefined,
): Promise<number> {
  if (extra === '--help' || extra === '-h') {
    io.out('Usage: dnet version\n\nShow the version of the CLI and of the daemon\n')
    return 0
  }
  if (extra !== undefined) return usageError(err, 'version takes no arguments')
  io.out(`Client: ${cliVersion()}\n`)
  try {
    const v = (await call(endpoint(), 'GET', '/version')) as { version?: unknown }
    io.out(`Server: ${typeof v?.version === 'string' ? v.version : 'unknown'}\n`)
    return 0
  } catch (e) {
    if (!(e instanceof CliError)) throw e
    err(e.message + '\n')
    return e.exitCode
  }
}

function usageError(err: (t: string) => void, msg: string): number {
  err(`dnet: ${msg}\n`)
  return 2
}

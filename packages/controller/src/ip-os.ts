import { spawn } from 'node:child_process'
import { BadRequestError, UnavailableError } from '@libnetwork/types'
import type { SandboxOS } from './contracts.js'

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

function run(
  argv: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', (err) =>
      reject(
        new UnavailableError('exec-failed', `cannot run ${argv[0]}: ${err.message}`, {
          cause: err,
        }),
      ),
    )
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    if (input !== undefined) {
      child.stdin!.on('error', () => undefined)
      child.stdin!.end(input)
    }
  })
}

function check(re: RegExp, v: string, what: string): string {
  if (!re.test(v))
    throw new BadRequestError(`invalid-${what}`, `invalid ${what} ${JSON.stringify(v)}`)
  return v
}

/**
 * A sandbox layer on iproute2: named network namespaces (`/run/netns/<key>`). With
 * `hostNetns`, interfaces are taken from that namespace instead of the current one. Each
 * operation is one or two `ip` spawns (`-batch` inside the sandbox).
 */
export function ipSandboxOS(opts: { hostNetns?: string } = {}): SandboxOS {
  const host = opts.hostNetns ? ['-n', check(NAME, opts.hostNetns, 'netns')] : []
  const ip = async (argv: string[], what: string, input?: string) => {
    const r = await run(['ip', ...argv], input)
    if (r.code !== 0)
      throw new UnavailableError('ip-failed', `${what}: ${r.stderr.trim()}`, {
        details: { argv, stderr: r.stderr.trim() },
      })
    return r.stdout
  }
  const inNs = (key: string, lines: string[], what: string) =>
    ip(['-n', key, '-batch', '-'], what, lines.join('\n') + '\n')
  return {
    path: (key) => `/run/netns/${key}`,
    async create(key) {
      check(NAME, key, 'netns')
      await ip(['netns', 'add', key], `creating namespace ${key}`)
      try {
        await inNs(key, ['link set dev lo up'], `loopback up in ${key}`)
      } catch (err) {
        await run(['ip', 'netns', 'del', key])
        throw err
      }
      return `/run/netns/${key}`
    },
    async destroy(key) {
      check(NAME, key, 'netns')
      const r = await run(['ip', 'netns', 'del', key])
      if (r.code !== 0 && !/No such file/.test(r.stderr))
        throw new UnavailableError('ip-failed', `deleting namespace ${key}: ${r.stderr.trim()}`)
    },
    async list(prefix) {
      const out = await ip(['-j', 'netns', 'list'], 'listing namespaces')
      const list = JSON.parse(out.trim() || '[]') as Array<{ name: string }>
      return list.map((n) => n.name).filter((n) => n.startsWith(prefix))
    },
    async addInterface(key, spec) {
      check(IFNAME, spec.srcName, 'interface')
      check(IFNAME, spec.dstName, 'interface')
      if (!spec.inSandbox) {
        await ip(
          [...host, 'link', 'set', 'dev', spec.srcName, 'netns', check(NAME, key, 'netns')],
          `moving ${spec.srcName} into ${key}`,
        )
      }
      const lines = [`link set dev ${spec.srcName} name ${spec.dstName}`]
      if (spec.mac) lines.push(`link set dev ${spec.dstName} address ${spec.mac}`)
      if (spec.address) lines.push(`addr add ${spec.address.toString()} dev ${spec.dstName}`)
      if (spec.addressIPv6)
        lines.push(`addr add ${spec.addressIPv6.toString()} dev ${spec.dstName} nodad`)
      lines.push(`link set dev ${spec.dstName} up`)
      for (const r of spec.routes) {
        lines.push(
          r.routeType === 'connected' || !r.nextHop
            ? `route add ${r.destination.toString()} dev ${spec.dstName}`
            : `route add ${r.destination.toString()} via ${r.nextHop.toString()} dev ${spec.dstName}`,
        )
      }
      try {
        await inNs(key, lines, `configuring ${spec.dstName} in ${key}`)
      } catch (err) {
        // Leave nothing half-configured: the interface goes (its veth peer with it).
        await run(['ip', '-n', key, 'link', 'del', 'dev', spec.srcName])
        await run(['ip', '-n', key, 'link', 'del', 'dev', spec.dstName])
        throw err
      }
    },
    async removeInterface(key, name) {
      const r = await run([
        'ip',
        '-n',
        check(NAME, key, 'netns'),
        'link',
        'del',
        'dev',
        check(IFNAME, name, 'interface'),
      ])
      if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) {
        throw new UnavailableError('ip-failed', `removing ${name} from ${key}: ${r.stderr.trim()}`)
      }
    },
    async interfaces(key) {
      const out = await ip(
        ['-n', check(NAME, key, 'netns'), '-j', 'link', 'show'],
        `listing links of ${key}`,
      )
      return (JSON.parse(out || '[]') as Array<{ ifname: string }>)
        .map((l) => l.ifname)
        .filter((n) => n !== 'lo')
    },
    async setGateway(key, gw) {
      const lines = ['route flush exact 0.0.0.0/0', 'route flush exact ::/0 proto boot']
      if (gw?.gateway)
        lines.push(
          `route replace default via ${gw.gateway.toString()} dev ${check(IFNAME, gw.dstName, 'interface')}`,
        )
      if (gw?.gatewayIPv6)
        lines.push(
          `-6 route replace default via ${gw.gatewayIPv6.toString()} dev ${check(IFNAME, gw.dstName, 'interface')}`,
        )
      await ip(
        ['-n', check(NAME, key, 'netns'), '-force', '-batch', '-'],
        `setting the gateway of ${key}`,
        lines.join('\n') + '\n',
      )
    },
  }
}

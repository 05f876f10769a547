import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { BadRequestError, UnavailableError, type InterfaceAddress } from '@libnetwork/types'

/** A link as the bridge driver sees it. */
export interface LinkInfo {
  name: string
  kind?: string
  master?: string
  alias?: string
}

export interface VethSpec {
  /** Host end, attached to the bridge. */
  host: string
  /** Container end. */
  peer: string
  /** Create the container end inside this namespace (a path); default: next to the host end. */
  peerNetns?: string
  peerMac?: string
  mtu: number
  master: string
  alias: string
  hairpin: boolean
}

export interface BridgeSpec {
  name: string
  mtu: number
  addresses: InterfaceAddress[]
  alias: string
}

/** The kernel I/O the bridge driver needs: links, addresses and sysctls of its namespace. */
export interface BridgeKernel {
  links(): Promise<LinkInfo[]>
  /** Create (or adopt, if it exists) a bridge, add missing addresses, set MTU and bring it up. */
  ensureBridge(spec: BridgeSpec): Promise<void>
  createVeth(spec: VethSpec): Promise<void>
  /** Put an existing link (back) on a bridge, up. */
  attach(name: string, master: string, hairpin: boolean): Promise<void>
  /** Delete a link; absent links are fine. */
  deleteLink(name: string): Promise<void>
  setSysctl(key: string, value: string): Promise<void>
  getSysctl(key: string): Promise<string>
}

const NETNS = /^[A-Za-z0-9_.-]{1,64}$/

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

/**
 * The bridge kernel through iproute2: each logical change is one `ip -batch` spawn. With
 * `netns`, everything happens inside that named namespace.
 */
export function ipKernel(opts: { netns?: string } = {}): BridgeKernel {
  if (opts.netns !== undefined && !NETNS.test(opts.netns)) {
    throw new BadRequestError('invalid-netns', `invalid namespace name ${opts.netns}`)
  }
  const ns = opts.netns ? ['-n', opts.netns] : []
  const batch = async (lines: string[], what: string) => {
    const r = await run(['ip', ...ns, '-batch', '-'], lines.join('\n') + '\n')
    if (r.code !== 0) {
      throw new UnavailableError('ip-failed', `${what} failed: ${r.stderr.trim()}`, {
        details: { lines, stderr: r.stderr.trim() },
      })
    }
  }
  const sysctlPath = (key: string) => {
    if (!/^[a-z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/.test(key.replaceAll('.', '/'))) {
      throw new BadRequestError('invalid-sysctl', `invalid sysctl ${key}`)
    }
    return `/proc/sys/${key.replaceAll('.', '/')}`
  }
  return {
    async links() {
      const r = await run(['ip', ...ns, '-d', '-j', 'link', 'show'])
      if (r.code !== 0)
        throw new UnavailableError('ip-failed', `listing links failed: ${r.stderr.trim()}`)
      const list = JSON.parse(r.stdout || '[]') as Array<{
        ifname: string
        master?: string
        ifalias?: string
        linkinfo?: { info_kind?: string }
      }>
      return list.map((l) => ({
        name: l.ifname,
        kind: l.linkinfo?.info_kind,
        master: l.master,
        alias: l.ifalias,
      }))
    },
    async ensureBridge(spec) {
      const existing = (await this.links()).find((l) => l.name === spec.name)
      const lines: string[] = []
      if (!existing) lines.push(`link add name ${spec.name} mtu ${spec.mtu} type bridge`)
      else if (existing.kind !== 'bridge') {
        throw new BadRequestError('not-a-bridge', `${spec.name} exists and is not a bridge`, {
          details: { name: spec.name },
        })
      }
      lines.push(`link set dev ${spec.name} mtu ${spec.mtu} alias ${spec.alias}`)
      for (const a of spec.addresses) lines.push(`addr replace ${a.toString()} dev ${spec.name}`)
      lines.push(`link set dev ${spec.name} up`)
      await batch(lines, `setting up bridge ${spec.name}`)
    },
    async createVeth(s) {
      const mac = s.peerMac ? ` address ${s.peerMac}` : ''
      await batch(
        [
          `link add name ${s.host} mtu ${s.mtu} type veth peer name ${s.peer} mtu ${s.mtu}${mac}${s.peerNetns ? ` netns ${s.peerNetns}` : ''}`,
          `link set dev ${s.host} master ${s.master} alias ${s.alias} up`,
          ...(s.hairpin ? [`link set dev ${s.host} type bridge_slave hairpin on`] : []),
        ],
        `creating veth ${s.host}`,
      )
    },
    async attach(name, master, hairpin) {
      await batch(
        [
          `link set dev ${name} master ${master} up`,
          ...(hairpin ? [`link set dev ${name} type bridge_slave hairpin on`] : []),
        ],
        `attaching ${name} to ${master}`,
      )
    },
    async deleteLink(name) {
      const r = await run(['ip', ...ns, 'link', 'del', 'dev', name])
      if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) {
        throw new UnavailableError('ip-failed', `deleting ${name} failed: ${r.stderr.trim()}`)
      }
    },
    async setSysctl(key, value) {
      const path = sysctlPath(key)
      if (!opts.netns) return writeFile(path, value)
      const r = await run([
        'ip',
        'netns',
        'exec',
        opts.netns,
        'sysctl',
        '-q',
        '-w',
        `${key}=${value}`,
      ])
      if (r.code !== 0)
        throw new UnavailableError('sysctl-failed', `setting ${key} failed: ${r.stderr.trim()}`)
    },
    async getSysctl(key) {
      const path = sysctlPath(key)
      if (!opts.netns) return (await readFile(path, 'utf8')).trim()
      const r = await run(['ip', 'netns', 'exec', opts.netns, 'sysctl', '-n', key])
      if (r.code !== 0)
        throw new UnavailableError('sysctl-failed', `reading ${key} failed: ${r.stderr.trim()}`)
      return r.stdout.trim()
    },
  }
}

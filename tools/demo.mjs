#!/usr/bin/env node
// The main job: run the dnet daemon on the embedded local store and drive it through its CLI.
//
// Everything happens inside a "host" network namespace this script creates (never in this
// machine's own networking), and everything is removed at the end:
//   1. start `dnet -d` inside the host namespace, state under .demo/
//   2. create a bridge network, two containers, publish a port, attach both containers
//   3. container c1 finds c2 by name through the embedded DNS (127.0.0.11) and talks to it
//   4. the published port answers from the host namespace
//   5. clean up (or keep it running with --keep, printing how to stop it)
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const keep = process.argv.includes('--keep')
const HOST_NS = 'dnet-demo-host'
const work = join(root, '.demo')
const run = join(work, 'run')
const socket = join(run, 'dnet.sock')
const dnetBin = join(root, 'packages/dnet/bin/dnet.js')
const SUBNET = '10.123.0.0/24'
const GATEWAY = '10.123.0.1'

if (process.getuid?.() !== 0) {
  console.error('The demo creates network namespaces and needs root: sudo npm run main')
  process.exit(1)
}

const step = (text) => console.log(`\n==> ${text}`)
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts }).trim()
// The executable itself, as a user runs it (its shebang sets dnet's Node flags).
const dnetQuiet = (...args) => sh(dnetBin, ['-H', `unix://${socket}`, ...args])
const dnet = (...args) => {
  console.log(`$ dnet ${args.join(' ')}`)
  const out = dnetQuiet(...args)
  if (out) console.log(out)
  return out
}
// A small program run inside a namespace with node: serve, or resolve-and-connect.
const inNs = (nsPath, code, ...args) =>
  sh('nsenter', [
    `--net=${nsPath}`,
    process.execPath,
    '--input-type=module',
    '-e',
    code,
    '--',
    ...args,
  ])

function cleanupNamespaces() {
  try {
    sh('ip', ['netns', 'del', HOST_NS], { stdio: 'ignore' })
  } catch {
    // not there
  }
}

let daemon
let upstream
async function main() {
  cleanupNamespaces()
  rmSync(work, { recursive: true, force: true })
  mkdirSync(run, { recursive: true })

  step(`create the "host" namespace ${HOST_NS} (stands in for this machine)`)
  sh('ip', ['netns', 'add', HOST_NS])
  sh('ip', ['-n', HOST_NS, 'link', 'set', 'lo', 'up'])

  step(
    'start a stand-in upstream DNS server in the host namespace (the demo sends no DNS elsewhere)',
  )
  // Containers reach it at the bridge gateway; it answers example.test with a documentation address.
  const upstreamCode = `
    import dgram from 'node:dgram'
    import packet from 'dns-packet'
    const s = dgram.createSocket('udp4')
    s.on('message', (m, r) => {
      const q = packet.decode(m)
      const answers = q.questions.filter((x) => x.name === 'example.test' && x.type === 'A')
        .map((x) => ({ name: x.name, type: 'A', ttl: 60, data: '192.0.2.10' }))
      s.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_AVAILABLE, rcode: answers.length ? 'NOERROR' : 'NXDOMAIN', questions: q.questions, answers }), r.port, r.address)
    })
    s.bind(53, '0.0.0.0', () => console.log('upstream ready'))`
  upstream = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${HOST_NS}`,
      process.execPath,
      '--input-type=module',
      '-e',
      upstreamCode,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: join(root, 'packages/resolver'),
    },
  )
  await new Promise((resolve) => upstream.stdout.once('data', resolve))
  const resolvConf = join(work, 'resolv.conf')
  writeFileSync(resolvConf, `nameserver ${GATEWAY}\n`)
  console.log(
    `upstream DNS on ${GATEWAY}:53; the daemon reads ${resolvConf} instead of /etc/resolv.conf`,
  )

  step('start the daemon inside it: dnet -d (embedded local store under .demo/lib)')
  // nsenter changes only the network namespace, so the sandboxes' namespace files the daemon
  // bind-mounts stay visible to this script (ip netns exec would add a private mount namespace).
  daemon = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${HOST_NS}`,
      dnetBin,
      '-d',
      '--exec-root',
      run,
      '--data-root',
      join(work, 'lib'),
      '--resolv-conf',
      resolvConf,
      '--sandbox-prefix',
      'dnet-demo-sb-',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100))
  if (!existsSync(socket)) throw new Error('the daemon did not start')
  console.log(`daemon pid ${daemon.pid}, API on unix://${socket}`)

  step('create a bridge network')
  dnet('network', 'create', '-d', 'bridge', '--subnet', SUBNET, '--gateway', GATEWAY, 'demo')
  dnet('network', 'ls')

  step('create two containers (each one is a network namespace)')
  dnet('container', 'create', '--hostname', 'c1', 'c1')
  dnet('container', 'create', '--hostname', 'c2', 'c2')

  step('publish services on the network (web publishes port 80 as host port 8080) and attach')
  dnet('service', 'publish', 'client.demo')
  dnet('service', 'publish', '-p', '8080:80/tcp', 'web.demo')
  dnet('service', 'attach', 'c1', 'client.demo')
  dnet('service', 'attach', 'c2', 'web.demo')
  dnet('service', 'ls')
  dnet('container', 'ls')
  const containers = JSON.parse(dnetQuiet('container', 'ls', '--json'))
  const key = (name) => containers.find((c) => c.containerId === name).key

  step('start a TCP server on port 80 inside c2')
  const server = spawn(
    'nsenter',
    [
      `--net=${key('c2')}`,
      process.execPath,
      '-e',
      "require('net').createServer(s => s.end('hello from c2\\n')).listen(80, () => console.log('listening'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  await new Promise((resolve) => server.stdout.once('data', resolve))

  step(
    'from c1: look up the service "web" (c2) through the embedded DNS at 127.0.0.11, then connect',
  )
  const lookup = `
    import { Resolver } from 'node:dns/promises'
    import net from 'node:net'
    const [name, port] = process.argv.slice(1)
    const r = new Resolver({ timeout: 2000, tries: 2 }); r.setServers(['127.0.0.11'])
    const [ip] = await r.resolve4(name)
    console.log(name + ' is ' + ip)
    const s = net.connect(Number(port), ip); s.setEncoding('utf8')
    s.on('data', (d) => process.stdout.write('c1 got: ' + d))`
  console.log(inNs(key('c1'), lookup, 'web', '80'))

  step('from c1: a name the network does not own is forwarded upstream')
  const forwarded = `
    import { Resolver } from 'node:dns/promises'
    const r = new Resolver({ timeout: 2000, tries: 2 }); r.setServers(['127.0.0.11'])
    console.log('example.test is ' + (await r.resolve4(process.argv[1])).join(','))`
  console.log(inNs(key('c1'), forwarded, 'example.test'))

  step('from the host namespace: connect to the published port 8080')
  const hostIp = GATEWAY
  const connect = `
    import net from 'node:net'
    const [host, port] = process.argv.slice(1)
    const s = net.connect(Number(port), host); s.setEncoding('utf8')
    s.on('data', (d) => process.stdout.write('host got via ' + host + ':' + port + ': ' + d))`
  console.log(inNs(`/var/run/netns/${HOST_NS}`, connect, hostIp, '8080'))
  console.log(inNs(`/var/run/netns/${HOST_NS}`, connect, '127.0.0.1', '8080'))
  server.kill()

  if (keep) {
    step('left running. Stop it with:')
    console.log(`  kill ${daemon.pid} && ip netns del ${HOST_NS} && rm -rf ${work}`)
    daemon.unref()
    return
  }
  step('clean up: detach, unpublish, remove containers and the network, stop the daemon')
  dnet('service', 'detach', 'c1', 'client.demo')
  dnet('service', 'detach', 'c2', 'web.demo')
  dnet('service', 'unpublish', 'client.demo')
  dnet('service', 'unpublish', 'web.demo')
  dnet('container', 'rm', 'c1', 'c2')
  dnet('network', 'rm', 'demo')
}

async function stopDaemon() {
  upstream?.kill()
  if (!daemon || daemon.exitCode !== null) return
  daemon.kill('SIGTERM')
  await new Promise((resolve) => daemon.once('exit', resolve))
}

let failed = false
try {
  await main()
} catch (e) {
  failed = true
  console.error(`\ndemo failed: ${e.stderr ?? e.message}`)
}
if (!keep || failed) {
  await stopDaemon()
  cleanupNamespaces()
  rmSync(work, { recursive: true, force: true })
  console.log(
    failed ? 'cleaned up after the failure' : '\ndone: daemon stopped, namespaces removed',
  )
}
process.exit(failed ? 1 : 0)

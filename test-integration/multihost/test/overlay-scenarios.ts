// Upstream's overlay scenarios across dnet hosts, re-scripted; each runs in both modes (with etcd
// as the global store, and etcd-less). `overlaySuite` runs reach, multi, gateway and fault on ONE
// world per mode (3 hosts and an "outside" namespace; overlay-scenarios-*.test.ts, one file per
// mode); `churn` builds its own (overlay-churn*.test.ts). Each scenario names its own networks,
// subnets, VNIs and containers, takes its own snapshot first and removes what it made, so it
// checks its own leftovers whatever ran before it. Pings go to addresses on the overlay only.
import tap, { type Test } from 'tap'
import type { Daemon, DnsProber } from './daemons.js'
import { sh, until, type Host } from './harness.js'
import {
  createOverlay,
  defaultRoute,
  ipOf,
  needsRoot,
  overlayNamespaces,
  overlayWorld,
  pingOnce,
  remoteFdb,
  removeGateways,
  removeOverlay,
  settledLeftovers,
  snap,
  untilPing,
  type Mode,
  type OverlaySpec,
  type OverlayWorld,
} from './overlay-dnet.js'
import type { Snapshot } from './overlay-leftovers.js'

/**
 * The suite's time limit: four scenarios on one world take longer than this package's default
 * file limit (300 s); the test file raises its own to it (root `t.setTimeout`). The daemons and
 * etcd live as long (the harness kills them at teardown in any case).
 */
export const SUITE_LIMIT_MS = 900_000

/** The world of the suite: three dnet hosts and `out`, a namespace on the underlay without dnet. */
export interface SuiteWorld extends OverlayWorld {
  out: Host
}

/** A test file's whole body: the suite in `mode`, with the file's time limit raised. */
export function suiteFile(mode: Mode): void {
  tap.setTimeout(SUITE_LIMIT_MS)
  tap.test(`overlay scenarios (${mode})`, { skip: needsRoot }, (t) => overlaySuite(t, mode))
}

/** Reach, multi, gateway and fault (in that order: fault kills a daemon) on one world of `mode`. */
export async function overlaySuite(t: Test, mode: Mode): Promise<void> {
  const base = await overlayWorld(t, mode, 3, { lifetimeS: SUITE_LIMIT_MS / 1000 })
  const w: SuiteWorld = { ...base, out: await base.u.addHost('out') }
  for (const [name, run] of [
    ['three hosts, one overlay: every container reaches every other by name', reach],
    ['bridge + overlay in one container, two isolated overlays, an internal overlay', multi],
    ['the way out through docker_gwbridge; an internal overlay has none', gateway],
    ['kill -9 of a host: its peers leave every FDB; restarted: back, no duplicates', fault],
  ] as const)
    await t.test(`${name} (${mode})`, (t) => run(t, w))
}

/** `check(d, i, j)` for every ordered pair of hosts `i` ≠ `j` (`d` is host i's), in turn. */
async function eachPair(
  w: OverlayWorld,
  check: (d: Daemon, i: number, j: number) => Promise<void>,
): Promise<void> {
  for (const [i, d] of w.ds.entries())
    for (let j = 0; j < w.ds.length; j++) if (i !== j) await check(d, i, j)
}

/**
 * A snapshot of the world first, then the overlay `spec` and on each host i a container
 * `<prefix><i+1>` on it (its endpoint named alike): the names and their addresses.
 */
async function oneOnEach(
  w: OverlayWorld,
  spec: OverlaySpec,
  prefix: string,
): Promise<{ before: Snapshot; names: string[]; ips: string[] }> {
  const before = await snap(w)
  await createOverlay(w, spec)
  const names = w.ds.map((_, i) => `${prefix}${i + 1}`)
  const ips: string[] = []
  for (const [i, d] of w.ds.entries())
    ips.push(ipOf((await d.run(spec.name, names[i]!)).ipv4Address))
  return { before, names, ips }
}

/** Detach, unpublish and delete each `[daemon, container, network, service]`, then the containers. */
async function removeAll(eps: Array<[Daemon, string, string, string]>): Promise<void> {
  for (const [d, ctr, net, svc] of eps) {
    await d.detach(ctr, net, svc)
    await d.unpublish(net, svc)
  }
  const ctrs = new Map(eps.map(([d, ctr]) => [`${d.host.name}/${ctr}`, [d, ctr] as const]))
  for (const [d, ctr] of ctrs.values()) await d.deleteContainer(ctr)
}

/**
 * Waits until `p` (a container's DNS prober) answers A `name` with exactly `want` (`[]`: until
 * the name is gone).
 */
async function untilAnswers(p: DnsProber, who: string, name: string, want: string[]) {
  const w = [...want].sort().join(',')
  let last = ''
  await until(
    `${who} to resolve A ${name} to [${w}]`,
    async () => {
      if (!p.process.running)
        throw new Error(`the DNS prober of ${who} exited: ${p.process.stderr}`)
      last = (await p.wait('A', name, want.length > 0 ? 'present' : 'absent')).join(',')
      return last === w
    },
    60_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message} (last answer: [${last}])`)
  })
}

/**
 * One overlay network, a container on each host, each reaches every other by name (the embedded
 * DNS) and by address; a container disconnected is unreachable and its name gone, reconnected it
 * is back; removing everything (the gateway network included) leaves nothing anywhere.
 *
 * Names are asked through one long-lived DNS prober per container (`Daemon.prober`), not a probe
 * process per lookup (`Daemon.untilResolves`): the embedded DNS answers in milliseconds and the
 * names are there at the first question, but each probe process is a Node start inside the
 * container, 0.3-1.5 s at load 13 and several seconds at load 25-30 on the 2-core machine; that
 * start was the 5-7 s "lookup" seen here (14 lookups per run).
 */
export async function reach(t: Test, w: OverlayWorld): Promise<void> {
  const { before, names, ips } = await oneOnEach(
    w,
    { name: 'ov', subnet: '10.70.0.0/24', vni: 4170 },
    'c',
  )
  t.equal(new Set(ips).size, w.ds.length, `distinct addresses: ${ips.join(' ')}`)
  // The probers live for the harness's default process lifetime (240 s): far longer than this
  // scenario; closed before the containers go.
  const probers = await Promise.all(w.ds.map((d, i) => d.prober(names[i]!)))
  try {
    const allPairs = async (what: string) => {
      await eachPair(w, async (d, i, j) => {
        await untilAnswers(probers[i]!, `${names[i]} on ${d.host.name}`, names[j]!, [ips[j]!])
        await untilPing(d, names[i]!, ips[j]!)
      })
      t.pass(what)
    }
    await allPairs('every container resolves and pings every other')

    // the packets went over the underlay: a container's only route to the others is the overlay
    const route = await w.ds[0]!.inContainer('c1', ['ip', 'route', 'get', ips[1]!])
    t.notMatch(route, / via /, `c1 reaches ${ips[1]} on its own link (the overlay), not routed`)

    // disconnect c2: gone by name and address from the others
    const d2 = w.ds[1]!
    await d2.detach('c2', 'ov', 'c2')
    for (const [i, d] of w.ds.entries()) {
      if (i === 1) continue
      await untilAnswers(probers[i]!, `${names[i]} on ${d.host.name}`, 'c2', [])
      await until(`${names[i]} loses c2`, async () => !(await pingOnce(d, names[i]!, ips[1]!)))
    }
    t.pass('c2 disconnected: no name, no answer')
    ips[1] = ipOf((await d2.attach('c2', 'ov', 'c2')).ipv4Address)
    await allPairs('c2 reconnected: every pair reaches again')
  } finally {
    await Promise.all(probers.map((p) => p.close()))
  }

  await removeAll(w.ds.map((d, i) => [d, names[i]!, 'ov', names[i]!]))
  await removeOverlay(w, 'ov')
  await removeGateways(w)
  t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
}

/** The MAC of the interface that holds `ip` in `container`. */
async function macOf(d: Daemon, container: string, ip: string): Promise<string> {
  const out = await d.inContainer(container, ['ip', '-j', 'addr', 'show'])
  const l = (JSON.parse(out) as { address: string; addr_info: { local: string }[] }[]).find((i) =>
    i.addr_info.some((ai) => ai.local === ip),
  )
  if (!l) throw new Error(`${container} has no interface with ${ip}`)
  return l.address
}

/**
 * Several networks at once across two hosts: one container on a bridge network and an overlay
 * together reaches both; two overlays are isolated from each other (no answer, and no FDB entry
 * of one in the other), a container on both reaches both; an `--internal` overlay connects its
 * containers and gives them no default route.
 */
export async function multi(t: Test, w: OverlayWorld): Promise<void> {
  const [d1, d2] = w.ds as [Daemon, Daemon]
  const before = await snap(w)
  await createOverlay(w, { name: 'ov1', subnet: '10.75.0.0/24', vni: 4175 })
  await createOverlay(w, { name: 'ov2', subnet: '10.76.0.0/24', vni: 4176 })
  await createOverlay(w, { name: 'ovi', subnet: '10.78.0.0/24', vni: 4178, internal: true })
  await d1.createNetwork({
    name: 'br',
    driver: 'bridge',
    ipam: { config: [{ subnet: '10.77.0.0/24' }] },
  })

  // host 1: a on ov1 + br, p on br only, x on ov1 + ov2, i1 on ovi; host 2: b on ov1, c on ov2, i2 on ovi
  const a = ipOf((await d1.run('ov1', 'a')).ipv4Address)
  await d1.publish('br', 'a-br')
  const aBr = ipOf((await d1.attach('a', 'br', 'a-br')).ipv4Address)
  const p = ipOf((await d1.run('br', 'p')).ipv4Address)
  const x1 = ipOf((await d1.run('ov1', 'x')).ipv4Address)
  await d1.publish('ov2', 'x-ov2')
  const x2 = ipOf((await d1.attach('x', 'ov2', 'x-ov2')).ipv4Address)
  const i1 = ipOf((await d1.run('ovi', 'i1')).ipv4Address)
  const b = ipOf((await d2.run('ov1', 'b')).ipv4Address)
  const c = ipOf((await d2.run('ov2', 'c')).ipv4Address)
  const i2 = ipOf((await d2.run('ovi', 'i2')).ipv4Address)

  // one container on a bridge network and an overlay at once
  await untilPing(d1, 'a', b)
  await untilPing(d1, 'a', p)
  await untilPing(d2, 'b', a)
  await untilPing(d1, 'p', aBr)
  t.pass('a reaches b over the overlay and p over the bridge')

  // x on both overlays reaches both
  await untilPing(d1, 'x', b)
  await untilPing(d1, 'x', c)
  await untilPing(d2, 'b', x1)
  await untilPing(d2, 'c', x2)
  t.pass('x, on both overlays, reaches b (ov1) and c (ov2)')

  // ov1 and ov2 are isolated: b and c get no answer from each other, and host 1's ov1 has no
  // FDB entry of ov2's containers (nor the other way round)
  t.notOk(await pingOnce(d2, 'b', c), 'b (ov1) gets no answer from c (ov2)')
  t.notOk(await pingOnce(d2, 'c', b), 'c (ov2) gets no answer from b (ov1)')
  t.notOk(await pingOnce(d1, 'a', c), 'a (ov1) gets no answer from c (ov2)')
  const cMac = await macOf(d2, 'c', c)
  const bMac = await macOf(d2, 'b', b)
  const seen: number[] = []
  for (const ns of await overlayNamespaces(d1)) {
    const fdb = await sh(['ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'show'])
    const vx = await sh(['ip', '-n', ns, '-d', '-j', 'link', 'show', 'type', 'vxlan'])
    const vni = (JSON.parse(vx) as { linkinfo: { info_data: { id: number } } }[])[0]!.linkinfo
      .info_data.id
    seen.push(vni)
    if (vni === 4175) t.notMatch(fdb, cMac, "host 1's ov1 has no entry for c (ov2)")
    if (vni === 4176) t.notMatch(fdb, bMac, "host 1's ov2 has no entry for b (ov1)")
  }
  t.ok(seen.includes(4175) && seen.includes(4176), `host 1's overlays checked: ${seen.join(' ')}`)

  // the internal overlay connects its containers, with no default route
  await untilPing(d1, 'i1', i2)
  await untilPing(d2, 'i2', i1)
  t.equal(await defaultRoute(d1, 'i1'), '', 'i1 (internal overlay) has no default route')
  t.equal(await defaultRoute(d2, 'i2'), '', 'i2 (internal overlay) has no default route')

  await removeAll([
    [d1, 'a', 'ov1', 'a'],
    [d1, 'a', 'br', 'a-br'],
    [d1, 'p', 'br', 'p'],
    [d1, 'x', 'ov1', 'x'],
    [d1, 'x', 'ov2', 'x-ov2'],
    [d1, 'i1', 'ovi', 'i1'],
    [d2, 'b', 'ov1', 'b'],
    [d2, 'c', 'ov2', 'c'],
    [d2, 'i2', 'ovi', 'i2'],
  ])
  await d1.deleteNetwork('br')
  for (const n of ['ov1', 'ov2', 'ovi']) await removeOverlay(w, n)
  // the gateway network of the non-internal overlays stays until removed (as upstream's)
  await removeGateways(w)
  t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
}

/**
 * The way out of an overlay (upstream's docker_gwbridge): a container on a non-internal overlay
 * gets a second interface on the host's local gateway bridge and its default route there, and
 * reaches the "outside" namespace on the underlay (which has no route back to the containers:
 * its answers come back through the host's masquerade); a container on an internal overlay gets
 * neither. Its gateway endpoint goes when it leaves the overlay.
 */
export async function gateway(t: Test, w: SuiteWorld): Promise<void> {
  const [d1, d2] = w.ds as [Daemon, Daemon]
  const before = await snap(w)
  await createOverlay(w, { name: 'gov', subnet: '10.60.0.0/24', vni: 4160 })
  await createOverlay(w, { name: 'govi', subnet: '10.61.0.0/24', vni: 4161, internal: true })
  await d1.run('gov', 'ga')
  const gb = ipOf((await d2.run('gov', 'gb')).ipv4Address)
  await d1.run('govi', 'gi')

  await untilPing(d1, 'ga', gb)
  const route = await defaultRoute(d1, 'ga')
  t.match(route, /^default via \S+ dev \S+/, `ga has a default route: ${route}`)
  const gw = (await d1.networks()).find((n) => n.name === 'docker_gwbridge')
  t.ok(gw, 'host 1 made the local gateway network docker_gwbridge')
  t.equal(gw?.driver, 'bridge', 'docker_gwbridge is a bridge network')
  await untilPing(d1, 'ga', w.out.ip)
  t.pass('ga reaches the outside namespace (through the masquerade of host 1)')
  await untilPing(d2, 'gb', w.out.ip)
  t.pass('gb, on host 2, too')
  t.ok(await pingOnce(d1, 'ga', gb), 'the overlay still goes over the overlay')

  t.equal(await defaultRoute(d1, 'gi'), '', 'gi (internal) has no default route')
  t.notOk(await pingOnce(d1, 'gi', w.out.ip), 'gi gets no answer from the outside')

  // leaving the overlay removes the gateway endpoint; the gateway network stays (upstream)
  await d1.detach('ga', 'gov', 'ga')
  await until('ga has no default route', async () => (await defaultRoute(d1, 'ga')) === '')
  t.notOk(
    (await d1.services()).some((e) => e.networkName === 'docker_gwbridge'),
    'no gateway endpoint left on host 1 once ga left',
  )
  await d1.unpublish('gov', 'ga')
  await d1.deleteContainer('ga')

  await removeAll([
    [d2, 'gb', 'gov', 'gb'],
    [d1, 'gi', 'govi', 'gi'],
  ])
  for (const n of ['gov', 'govi']) await removeOverlay(w, n)
  await removeGateways(w)
  t.same(
    await settledLeftovers(w, before),
    [],
    'nothing left once the gateway network is removed too',
  )
}

/** The MAC of each remote FDB entry; a MAC listed twice is a duplicate. */
const macs = (fdb: string[]) => fdb.map((l) => l.split(' ')[0]!)
const dups = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i)

/**
 * kill -9 of the last host's daemon: its containers' peer entries leave the FDB and neighbour
 * tables of every other host (failure detection, then the dead node's entries are dropped);
 * restarted on its store, it restores its overlay namespace and republishes, every pair reaches
 * again, and no FDB entry is there twice; removing everything then leaves nothing.
 */
export async function fault(t: Test, w: OverlayWorld): Promise<void> {
  const { before, names, ips } = await oneOnEach(
    w,
    { name: 'ovf', subnet: '10.71.0.0/24', vni: 4171 },
    'f',
  )
  const allPairs = (limitMs?: number) =>
    eachPair(w, (d, i, j) => untilPing(d, names[i]!, ips[j]!, limitMs))
  await allPairs()
  const dead = w.ds.at(-1)!
  const others = w.ds.slice(0, -1)
  const towards = (l: string) => l.includes(`dst ${dead.host.ip} `)
  for (const d of others)
    t.ok(
      (await remoteFdb(d)).some(towards),
      `${d.host.name} has an FDB entry towards ${dead.host.name}`,
    )

  await dead.kill('SIGKILL')
  const killed = Date.now()
  const deadIp = new RegExp(`^${ips.at(-1)!.replace(/\./g, '\\.')} `, 'm')
  for (const d of others) {
    await until(
      `${d.host.name} drops ${dead.host.name}'s peers`,
      async () => !(await remoteFdb(d)).some(towards),
      90_000,
    )
    const [ns] = await overlayNamespaces(d)
    t.notMatch(
      await sh(['ip', '-n', ns!, 'neigh', 'show']),
      deadIp,
      `${d.host.name}: no neighbour entry for ${names.at(-1)} left`,
    )
  }
  t.pass(`${dead.host.name} failed: its peers left every FDB and neighbour table`)
  // for the report only (speed is not asserted): how long the reap took here
  t.comment(
    `${dead.host.name}'s peers were gone from every FDB ${Date.now() - killed} ms after kill -9`,
  )

  await dead.restart()
  await allPairs(90_000)
  t.pass('every pair reaches again after the restart')
  for (const d of w.ds) {
    const fdb = await remoteFdb(d)
    t.same(dups(macs(fdb)), [], `${d.host.name}: no FDB entry twice`, { fdb })
    t.equal(fdb.length, w.ds.length - 1, `${d.host.name}: one entry per remote container`, { fdb })
  }
  t.equal(
    (await overlayNamespaces(dead)).length,
    1,
    `${dead.host.name} has one overlay namespace again`,
  )

  await removeAll(w.ds.map((d, i) => [d, names[i]!, 'ovf', names[i]!]))
  await removeOverlay(w, 'ovf')
  await removeGateways(w)
  t.same(await settledLeftovers(w, before), [], 'nothing left after the restart and removal')
}

/**
 * The time limit of `churn(…, cycles)` for its test file (root `t.setTimeout`): the cycles are
 * the slow part, about 1.3 s each on the loaded 2-core machine; three times that, plus setup.
 */
export const churnLimitMs = (cycles: number): number => (180 + cycles * 4) * 1000

/**
 * A test file's whole body: `churn` in `mode`, `defaultCycles` times unless
 * `OVERLAY_CHURN_CYCLES` says otherwise, with the file's time limit raised to match.
 */
export function churnFile(mode: Mode, defaultCycles: number): void {
  const cycles = Number(process.env.OVERLAY_CHURN_CYCLES ?? defaultCycles)
  tap.setTimeout(churnLimitMs(cycles))
  tap.test(
    `${cycles} create/attach/detach/rm cycles across 3 hosts leave nothing (${mode})`,
    { skip: needsRoot },
    (t) => churn(t, mode, cycles),
  )
}

/**
 * `cycles` create/attach/detach/rm cycles across three hosts on one overlay, the three hosts
 * working at once (so every attach and detach also adds and removes peer entries on the other
 * two): afterwards no namespace, link, FDB or neighbour entry, rule or address is left in any
 * host namespace, and nothing in the daemons' stores or etcd. A world of its own.
 */
export async function churn(t: Test, mode: Mode, cycles: number): Promise<void> {
  const w = await overlayWorld(t, mode, 3, {
    logLevel: 'warn',
    lifetimeS: churnLimitMs(cycles) / 1000,
  })
  const before = await snap(w)
  await createOverlay(w, { name: 'ov', subnet: '10.79.0.0/24', vni: 4179 })
  let checked = 0
  for (let c = 0; c < cycles; c++) {
    const name = (i: number) => `k${c}h${i}`
    const eps = await Promise.all(w.ds.map((d, i) => d.run('ov', name(i))))
    if (c % 50 === 0) t.comment(`cycle ${c}`)
    if (c % 50 === 0 || c === cycles - 1) {
      // a sample of the cycles: the three containers of this cycle reach each other
      const ips = eps.map((e) => ipOf(e.ipv4Address))
      await eachPair(w, (d, i, j) => untilPing(d, name(i), ips[j]!, 60_000))
      checked++
    }
    await Promise.all(
      w.ds.map(async (d, i) => {
        await d.detach(name(i), 'ov', name(i))
        await d.unpublish('ov', name(i))
        await d.deleteContainer(name(i))
      }),
    )
  }
  t.ok(checked >= 2, `connectivity checked in ${checked} cycles`)
  for (const d of w.ds) {
    await until(
      `${d.host.name}: no overlay namespace`,
      async () => (await overlayNamespaces(d)).length === 0,
    )
    t.same(await remoteFdb(d), [], `${d.host.name}: no peer FDB entry`)
  }
  await removeOverlay(w, 'ov')
  await removeGateways(w)
  t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
}

// The daemon's cluster agent (`[cluster]` or upstream's `[orchestration]`): gossip and NetworkDB
// in the daemon's own network namespace, handed to the controller as its cluster tables, and
// the endpoints of global-scope networks announced in endpoint_table; other hosts' entries go
// into the controller's embedded DNS.
import {
  ClusterAgent,
  EndpointSync,
  type ClusterMember,
  type LocalEndpoint,
} from '@libnetwork/cluster'
import type { Controller, EndpointInfo } from '@libnetwork/controller'
import { overlay } from '@libnetwork/driver-overlay'
import type { DriverFactory } from '@libnetwork/driverapi'
import { IP } from '@libnetwork/types'
import type { ClusterMemberView } from './backend.js'
import type { DaemonConfig } from './config.js'
import type { Logger } from './log.js'

/** The agent for a `[cluster]` config (not started). A bad peer throws `cluster.bad-config`. */
export function clusterAgent(cfg: NonNullable<DaemonConfig['cluster']>, logger: Logger) {
  return new ClusterAgent({
    bindAddress: IP.parse(cfg.bindAddress),
    port: cfg.bindPort,
    join: cfg.join,
    keys: cfg.encryptionKey ? [new Uint8Array(Buffer.from(cfg.encryptionKey, 'base64'))] : [],
    ...(cfg.diagnosticPort !== undefined ? { diagnostic: { port: cfg.diagnosticPort } } : {}),
    logger,
  })
}

/**
 * The prefix of the overlay driver's per-network namespaces for a daemon whose containers'
 * namespaces start with `sandboxPrefix`: named namespaces are machine-wide, so each daemon
 * needs its own (restore removes stale ones by it), and it must not start with `sandboxPrefix`
 * (the controller's restore would take them for stale containers). The last character of the
 * sandbox prefix is swapped (`dnet-sb-` → `dnet-sb_ov-`): a test's cleanup by its prefix still
 * finds them.
 */
export function overlayPrefix(sandboxPrefix: string): string {
  const last = sandboxPrefix.at(-1)
  return `${sandboxPrefix.slice(0, -1)}${last === '_' ? '.' : '_'}ov-`
}

/**
 * The overlay driver of a daemon with `[cluster]`: the cluster tables (its tunnel endpoint is
 * the agent's advertise address) and the global store come with the components. Its VXLAN
 * tunnels use UDP `dataPathPort` (`cluster.data_path_port`; the driver's 4789 when absent).
 */
export function overlayDriver(sandboxPrefix: string, dataPathPort?: number): DriverFactory {
  return overlay(dataPathPort !== undefined ? { dataPathPort } : {}, {
    netnsPrefix: overlayPrefix(sandboxPrefix),
  })
}

/** A member as the API shows it. */
export function memberView(m: ClusterMember): ClusterMemberView {
  const ip = m.address.toString()
  return {
    name: m.name,
    address: m.address.version === 6 ? `[${ip}]:${m.port}` : `${ip}:${m.port}`,
    state: m.state,
    self: m.self,
  }
}

function localEndpoint(ep: EndpointInfo): LocalEndpoint {
  return {
    networkId: ep.networkId,
    endpointId: ep.id,
    name: ep.name,
    aliases: ep.aliases,
    ...(ep.address ? { ipv4: ep.address.ip } : {}),
    ...(ep.addressIPv6 ? { ipv6: ep.addressIPv6.ip } : {}),
  }
}

/**
 * Announce the joined endpoints of global-scope networks (those restored at start too) and
 * follow joins and leaves. Operations run one at a time, in event order. Returns the stop.
 */
export function announceEndpoints(
  controller: Pick<Controller, 'endpoints' | 'network' | 'on' | 'setRemoteRecords'>,
  agent: ClusterAgent,
  logger: Logger,
): () => Promise<void> {
  const sync = new EndpointSync({
    tables: agent,
    logger,
    onRecords(networkId, added, removed) {
      logger.debug('cluster: remote names', {
        networkId,
        added: added.map((r) => r.name),
        removed: removed.map((r) => r.name),
      })
      // Into the embedded DNS of every sandbox here on the network (kept for later joins).
      // Calls are queued in order by the controller; a refused record is logged, not thrown.
      controller.setRemoteRecords(networkId, added, removed).catch((err: unknown) =>
        logger.warn('cluster: remote names not taken by the embedded DNS', {
          networkId,
          err: String(err),
        }),
      )
    },
  })
  sync.start()
  const offMembers = agent.onMemberChange((c) =>
    logger.info('cluster: member', { change: c.type, name: c.member.name, state: c.member.state }),
  )
  let queue = Promise.resolve()
  const run = (what: string, ep: EndpointInfo, fn: () => Promise<void>) => {
    queue = queue.then(fn).catch((err: unknown) =>
      logger.warn(`cluster: could not ${what} an endpoint`, {
        endpoint: ep.id,
        network: ep.networkId,
        err: String(err),
      }),
    )
  }
  const global = (ep: EndpointInfo): boolean => {
    try {
      return controller.network(ep.networkId).scope === 'global'
    } catch {
      return false
    }
  }
  for (const ep of controller.endpoints()) {
    if (ep.sandboxId && global(ep)) run('announce', ep, () => sync.join(localEndpoint(ep)))
  }
  const offs = [
    controller.on('endpoint:join', ({ endpoint: ep }) => {
      if (global(ep)) run('announce', ep, () => sync.join(localEndpoint(ep)))
    }),
    controller.on('endpoint:leave', ({ endpoint: ep }) => {
      if (global(ep)) run('withdraw', ep, () => sync.leave(ep.networkId, ep.id))
    }),
  ]
  return async () => {
    for (const off of offs) off()
    offMembers()
    await queue
    await sync.stop()
  }
}

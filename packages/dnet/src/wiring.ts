import { join } from 'node:path'
import { Controller, oslSandboxOS, serviceDiscovery } from '@libnetwork/controller'
import { etcdStore, localStore, type KVStore } from '@libnetwork/datastore'
import { bridge } from '@libnetwork/driver-bridge'
import { hostDriver } from '@libnetwork/driver-host'
import { macvlan } from '@libnetwork/driver-macvlan'
import { nullDriver } from '@libnetwork/driver-null'
import { PluginRegistry } from '@libnetwork/driver-remote'
import type { DriverFactory } from '@libnetwork/driverapi'
import { UnavailableError } from '@libnetwork/types'
import { ControllerBackend } from './controller-backend.js'
import { waitForGlobalStore } from './global-store.js'
import { defaultIpamFor } from './ipam-wiring.js'
import type { BackendFactory } from './daemon.js'

/** Namespace of the daemon's keys in a shared etcd (`[datastore.global]`). */
const GLOBAL_NAMESPACE = 'libnetwork/'

/**
 * `overlay` without `[cluster]`: known (not looked up as a plugin), refusing every network.
 * The real driver, with gossip and NetworkDB, is loaded only with `[cluster]`.
 */
export const overlayWithoutCluster: DriverFactory = () => {
  const refuse = (): never => {
    throw new UnavailableError(
      'overlay-needs-cluster',
      'the overlay driver needs the cluster agent: add a [cluster] section (bind_address, join) to the daemon config',
      { details: { driver: 'overlay', missing: '[cluster]' } },
    )
  }
  return {
    type: 'overlay',
    capability: {
      dataScope: 'global',
      connectivityScope: 'global',
      needsIpam: true,
      sharesHostNetwork: false,
    },
    parseNetworkOptions: refuse,
    createNetwork: async () => refuse(),
    deleteNetwork: async () => undefined,
    createEndpoint: async () => refuse(),
    deleteEndpoint: async () => undefined,
    endpointOperInfo: async () => refuse(),
    join: async () => refuse(),
    leave: async () => undefined,
    programExternalConnectivity: async () => refuse(),
    revokeExternalConnectivity: async () => undefined,
    restore: async () => ({ removed: [], recreated: [] }),
    stop: async () => undefined,
  }
}

/**
 * The daemon's default set: the null, host, bridge, macvlan and overlay drivers, the default IPAM, the
 * embedded local store under the data root, the global store when `[datastore.global]` names
 * one (etcd: the records of global-scope networks), and service discovery (hosts, resolv.conf,
 * DNS). Any other driver or IPAM name is looked up as a remote plugin on first use.
 */
export const controllerBackend: BackendFactory = async (cfg, logger) => {
  const kv = localStore({ path: join(cfg.dataRoot, 'local-kv'), durability: cfg.localDurability })
  const global: KVStore | undefined = cfg.globalStore
    ? etcdStore({ endpoints: cfg.globalStore.endpoints, namespace: GLOBAL_NAMESPACE })
    : undefined
  const plugins = new PluginRegistry({ ...cfg.plugins, logger })
  // The cluster agent (`[cluster]`), started first: the controller's drivers watch its tables.
  // Gossip, NetworkDB and the overlay driver are loaded only then (a single host's daemon
  // stays smaller without them).
  const cw = cfg.cluster ? await import('./cluster-wiring.js') : undefined
  const agent = cfg.cluster && cw ? cw.clusterAgent(cfg.cluster, logger) : undefined
  let controller: Controller
  try {
    // etcd down or not up yet: say so and wait for it, rather than exit (restore needs it)
    if (global && cfg.globalStore)
      await waitForGlobalStore(global, cfg.globalStore.endpoints, logger)
    await agent?.start()
    controller = await Controller.start({
      drivers: {
        // the bridge's background faults go to the components' logger
        bridge: bridge({ ...cfg.bridge }),
        host: hostDriver(),
        null: nullDriver(),
        macvlan: macvlan(),
        overlay: cw
          ? cw.overlayDriver(cfg.sandboxPrefix, cfg.cluster?.dataPathPort)
          : overlayWithoutCluster,
      },
      // The global address space on the global store when there is one (shared pools).
      ipams: { default: defaultIpamFor(cfg.instanceId) },
      driverResolver: plugins.driverResolver,
      ipamResolver: plugins.ipamResolver,
      store: kv,
      ...(global ? { globalStore: global } : {}),
      ...(agent ? { cluster: agent } : {}),
      logger,
      os: oslSandboxOS(),
      // `<prefix><instance id>-`: restore removes only this daemon's strays
      namespacePrefix: cfg.instanceId
        ? `${cfg.sandboxPrefix}${cfg.instanceId}-`
        : cfg.sandboxPrefix,
      discovery: serviceDiscovery({
        dir: join(cfg.execRoot, 'sandboxes'),
        hostResolvConf: cfg.resolvConf,
      }),
    })
  } catch (e) {
    await kv.close()
    await global?.close()
    await plugins.stop()
    await agent?.stop()
    throw e
  }
  const stopAnnouncing = agent && cw ? cw.announceEndpoints(controller, agent, logger) : undefined
  const summary = controller.restoreSummary
  logger.info('controller restored', {
    networks: summary.networks,
    endpoints: summary.endpoints,
    sandboxes: summary.sandboxes,
    repaired: summary.repaired.length,
  })
  for (const r of summary.repaired) logger.warn('repaired on restore', { what: r })
  if (cfg.defaultNetwork && !controller.networks().some((n) => n.name === cfg.defaultNetwork)) {
    try {
      await controller.createNetwork({ name: cfg.defaultNetwork, driver: cfg.defaultDriver })
      logger.info('default network created', {
        name: cfg.defaultNetwork,
        driver: cfg.defaultDriver,
      })
    } catch (e) {
      logger.warn('could not create the default network', {
        name: cfg.defaultNetwork,
        err: (e as Error).message,
      })
    }
  }
  return {
    backend: new ControllerBackend(
      controller,
      () => plugins.list(),
      agent && cw ? () => agent.members().map(cw.memberView) : undefined,
      // The default network is the daemon's own: not for users to remove.
      { predefinedNetworks: cfg.defaultNetwork ? [cfg.defaultNetwork] : [] },
    ),
    close: async () => {
      await stopAnnouncing?.()
      await controller.stop()
      await global?.close()
      await plugins.stop()
      await agent?.stop()
    },
  }
}

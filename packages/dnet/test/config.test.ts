import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import { defaults, parseConfig, parseHostPort } from '../src/index.js'

t.test('defaults: unix socket and dirs under the exec and data roots', async (t) => {
  const d = defaults()
  t.equal(d.socket, '/var/run/dnet/dnet.sock')
  t.equal(d.pidFile, '/var/run/dnet/dnet.pid')
  t.equal(d.dataRoot, '/var/lib/dnet')
  t.equal(d.tcp, undefined, 'no TCP listener unless configured')
  t.equal(d.localDurability, 'commit')
  t.same(d.bridge, { iptables: true, ip6tables: true, userlandProxy: true })
})

t.test('a full config file', async (t) => {
  const c = parseConfig(`
title = "dnet"
[daemon]
log_level = "debug"
default_network = "mynet"
labels = ["a=b"]
exec_root = "/tmp/x/run"
data_root = "/tmp/x/lib"
tcp = "127.0.0.1:2385"
resolv_conf = "/tmp/x/resolv.conf"
sandbox_prefix = "x-sb-"
[bridge]
userland_proxy = false
ip6tables = false
[datastore.local]
durability = "sync"
[datastore.global]
provider = "etcd"
endpoints = ["http://127.0.0.1:23790"]
[cluster]
bind_address = "127.0.0.1"
bind_port = 7946
join = ["127.0.0.2:7946"]
encryption_key = "${Buffer.alloc(16, 1).toString('base64')}"
`)
  t.equal(c.logLevel, 'debug')
  t.equal(c.defaultNetwork, 'mynet')
  t.equal(c.socket, '/tmp/x/run/dnet.sock')
  t.same(c.tcp, { host: '127.0.0.1', port: 2385 })
  t.same(c.globalStore, { provider: 'etcd', endpoints: ['http://127.0.0.1:23790'] })
  t.equal(c.cluster?.bindPort, 7946)
  t.equal(c.resolvConf, '/tmp/x/resolv.conf')
  t.equal(c.sandboxPrefix, 'x-sb-')
  t.equal(c.localDurability, 'sync')
  t.same(c.bridge, { iptables: true, ip6tables: false, userlandProxy: false })
})

t.test('bad config is a BadRequestError naming the key', async (t) => {
  const bad: [string, RegExp][] = [
    ['[daemon\n', /not valid TOML/],
    ['[daemon]\nlog_level = "loud"', /daemon.log_level/],
    ['[daemon]\ncolour = "red"', /daemon.colour is not a known setting/],
    ['[daemon]\ntcp = "localhost"', /daemon.tcp must be IP:PORT/],
    ['[datastore.global]\nprovider = "consul"\nendpoints=["x"]', /provider must be "etcd"/],
    ['[cluster]\nbind_port = 70000', /cluster.bind_port/],
    ['[datastore.local]\ndurability = "never"', /datastore.local.durability must be/],
    ['[bridge]\nuserland_proxy = "no"', /bridge.userland_proxy must be true or false/],
    ['[bridge]\nhairpin = true', /bridge.hairpin is not a known setting/],
    ['[datastore.local]\npath = "/x"', /datastore.local.path is not a known setting/],
    ['[daemon]\nsandbox_prefix = "a/b"', /daemon.sandbox_prefix must be/],
    ['[cluster]\nencryption_key = "c2hvcnQ="', /encryption_key/],
    ['[orchestration]\nagent = true\nbind = "eth0"', /orchestration.bind must be an IP/],
    ['[cluster]\ndiagnostic_port = "2000"', /cluster.diagnostic_port must be a port number/],
    ['[orchestration]\nagent = "yes"', /orchestration.agent must be true or false/],
    ['[orchestration]\nagent = true\nport = 1', /orchestration.port is not a known setting/],
    ['[cluster]\njoin = []\n[orchestration]\nagent = true', /\[cluster\] or \[orchestration\]/],
  ]
  for (const [text, msg] of bad)
    t.throws(() => parseConfig(text), { name: 'BadRequestError', message: msg })
  t.throws(() => parseHostPort('1.2.3.4:99999'), BadRequestError)
})

t.test('[cluster] diagnostic_port turns on the diagnostic server', async (t) => {
  t.equal(parseConfig('[cluster]\njoin = []').cluster?.diagnosticPort, undefined, 'off by default')
  t.equal(parseConfig('[cluster]\ndiagnostic_port = 2000').cluster?.diagnosticPort, 2000)
})

t.test("upstream dnet's [orchestration] agent/bind/peer map onto [cluster]", async (t) => {
  const c = parseConfig('[orchestration]\nagent = true\nbind = "10.0.0.1"\npeer = "10.0.0.2"')
  t.same(c.cluster, { bindAddress: '10.0.0.1', bindPort: 7946, join: ['10.0.0.2'] })
  t.same(parseConfig('[orchestration]\nagent = true').cluster, {
    bindAddress: '0.0.0.0',
    bindPort: 7946,
    join: [],
  })
  t.equal(parseConfig('[orchestration]\nagent = false\npeer = "10.0.0.2"').cluster, undefined)
})

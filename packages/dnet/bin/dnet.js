#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --max-semi-space-size=1
// dnet: `dnet -d` runs the daemon; anything else is a CLI command talking to it.
//
// The shebang sets what dnet wants of Node (`env -S` needs coreutils 8.30 or later):
// - NODE_EXTRA_CA_CERTS is dropped: Node parses that bundle at every start (36 ms here, more
//   than Node's own start-up) and dnet makes no TLS connections.
// - a 1 MiB young generation: the daemon allocates little per request, and V8's default
//   (up to 16 MiB per semi-space) would keep tens of MiB resident for nothing.
const argv = process.argv.slice(2)
if (argv[0] === '-d' || argv[0] === '--daemon') {
  const [{ runDaemon }, { controllerBackend }] = await Promise.all([
    import('../dist/daemon-main.js'),
    import('../dist/wiring.js'),
  ])
  process.exitCode = await runDaemon(argv.slice(1), controllerBackend)
} else {
  const { runCli } = await import('../dist/cli/main.js')
  process.exitCode = await runCli(argv, { out: (s) => process.stdout.write(s) }, (s) =>
    process.stderr.write(s),
  )
}

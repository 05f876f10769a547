#!/usr/bin/env node
// dnet: `dnet -d` runs the daemon; anything else is a CLI command talking to it.
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

#!/bin/sh
':' //; case "$1" in -d|--daemon) F=--max-semi-space-size=1 ;; *) F= ;; esac; unset NODE_EXTRA_CA_CERTS; exec node $F "$0" "$@"
// dnet: `dnet -d` runs the daemon; anything else is a CLI command talking to it.
//
// The first two lines are for sh, which runs this file as `dnet`; to Node, line 2 is a string
// and a comment. They start Node the way dnet wants it:
// - without NODE_EXTRA_CA_CERTS: Node parses that bundle at every start (36 ms here, more than
//   Node's own start-up), and dnet makes no TLS connections;
// - for the daemon only, with a 1 MiB young generation (V8's default lets each semi-space grow
//   to 16 MiB, resident for nothing in a daemon that allocates little per request: -12 MiB with
//   50 containers). The CLI runs without V8 flags, which would cost it 10 ms of start-up.
//
// This file is CommonJS (bin/package.json) and the CLI is one bundled CommonJS file
// (dist/cli.cjs): a command then never sets up the ES module loader, 5-9 ms of its start.
// The daemon, long-lived, loads the ES modules.
'use strict'
const argv = process.argv.slice(2)
async function main() {
  if (argv[0] === '-d' || argv[0] === '--daemon') {
    const [{ runDaemon }, { controllerBackend }] = await Promise.all([
      import('../dist/daemon-main.js'),
      import('../dist/wiring.js'),
    ])
    return runDaemon(argv.slice(1), controllerBackend)
  }
  const { runCli } = require('../dist/cli.cjs')
  return runCli(argv, { out: (s) => process.stdout.write(s) }, (s) => process.stderr.write(s))
}
main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`dnet: ${err && err.stack ? err.stack : String(err)}\n`)
    process.exitCode = 1
  },
)

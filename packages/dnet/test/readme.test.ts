// The README's example session: every `dnet` command of it (the daemon's own start aside) runs
// through the CLI against the REST API, here backed by the in-memory backend, and succeeds.
// The same flow on the real stack, as root in a throw-away namespace, is `npm run main`.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { FakeBackend } from './fake-backend.js'
import { serve } from './serve.js'

/** The `dnet` command lines of the README's example session, without their comments. */
function exampleCommands(): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Example'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('dnet ') && !l.startsWith('dnet -d'))
    .map((l) => l.split(/\s+/).slice(1))
}

t.test('the README example session runs through the CLI', async (t) => {
  const commands = exampleCommands()
  t.ok(commands.length >= 6, 'the example has its dnet commands')
  const backend = new FakeBackend()
  const { run } = await serve(t, backend)
  for (const argv of commands) {
    const { code, err } = await run(...argv)
    t.equal(code, 0, `dnet ${argv.join(' ')} ${err}`)
  }
  const [web] = [...backend.networks.values()]
  t.match(web, { name: 'web', ipam: { config: [{ subnet: '10.10.0.0/24' }] } })
  t.equal(backend.sandboxes.size, 2, 'two containers')
})

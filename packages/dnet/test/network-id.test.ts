// A fixed network id (`dnet network create --id`, `id` in POST /networks) through the CLI, the
// REST API and the real controller: the same network can carry the same id on every host.
import t from 'tap'
import { memoryOS } from './memory-os.js'
import { serve } from './serve.js'
import { Controller } from '@libnetwork/controller'
import { nullDriver } from '@libnetwork/driver-null'
import { ControllerBackend } from '../src/controller-backend.js'

const ID = 'ab'.repeat(32)

async function setup(t: { teardown(fn: () => unknown): void }) {
  const c = await Controller.start({ drivers: { null: nullDriver() }, os: memoryOS() })
  const { run } = await serve(t, new ControllerBackend(c), { stop: () => c.stop() })
  return { run, c }
}

t.test('network create --id gives the network that id', async (t) => {
  const { run, c } = await setup(t)
  const r = await run('network', 'create', '-d', 'null', '--id', ID, 'n1')
  t.equal(r.code, 0, r.err)
  t.equal(r.out, `${ID}\n`, 'prints the id it was given')
  t.equal(c.network('n1').id, ID, 'the controller holds it under that id')
  const inspect = JSON.parse((await run('network', 'inspect', ID)).out)
  t.equal(inspect[0].name, 'n1', 'inspect finds it by the id')
  t.equal((await run('network', 'rm', ID)).code, 0, 'rm finds it by the id')
  // The null driver allows one network at a time: the second one comes after the removal.
  const plain = await run('network', 'create', '-d', 'null', 'n2')
  t.equal(plain.code, 0, plain.err)
  t.match(plain.out, /^[0-9a-f]{64}\n$/)
  t.not(plain.out.trim(), ID, 'without --id an id is generated')
})

t.test('a bad or taken id is refused and creates nothing', async (t) => {
  const { run, c } = await setup(t)
  t.equal((await run('network', 'create', '-d', 'null', '--id', ID, 'n1')).code, 0)
  const cases: [string, string, RegExp][] = [
    ['too short', 'abc', /id must match/],
    ['upper case', 'AB'.repeat(32), /id must match/],
    ['not hex', 'zz'.repeat(32), /id must match/],
  ]
  for (const [what, id, msg] of cases) {
    const r = await run(
      'network',
      'create',
      '-d',
      'null',
      '--id',
      id,
      `x-${what.replace(' ', '-')}`,
    )
    t.equal(r.code, 1, `${what}: fails`)
    t.match(r.err, msg, `${what}: says why`)
  }
  const taken = await run('network', 'create', '-d', 'null', '--id', ID, 'n2')
  t.equal(taken.code, 1, 'an id in use fails')
  t.match(taken.err, /conflict|exists/i, 'as a conflict')
  t.same(
    c.networks().map((n) => n.name),
    ['n1'],
    'only the first network exists',
  )
})

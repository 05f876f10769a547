import t from 'tap'
import { readFile, readdir, stat, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import {
  atomicWriteFile,
  contentHash,
  hashPath,
  parseResolvConf,
  readHostResolvConf,
  writeContainerResolvConf,
} from '../src/index.js'

t.test('reads the host file, or the systemd-resolved one behind the stub', async (t) => {
  const dir = t.testdir({
    'plain.conf': 'nameserver 10.0.0.2\n',
    'stub.conf': '# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n',
    'real.conf': 'nameserver 192.168.1.1\nsearch lan\n',
    'two.conf': 'nameserver 127.0.0.53\nnameserver 10.0.0.9\n',
  })
  const plain = await readHostResolvConf({ path: join(dir, 'plain.conf') })
  t.equal(plain.path, join(dir, 'plain.conf'))
  t.equal(plain.hash, contentHash('nameserver 10.0.0.2\n'))
  t.equal(plain.missing, false)
  const stub = await readHostResolvConf({
    path: join(dir, 'stub.conf'),
    resolvedPath: join(dir, 'real.conf'),
  })
  t.equal(stub.path, join(dir, 'real.conf'))
  t.same(stub.conf.nameservers.map(String), ['192.168.1.1'])
  const noReal = await readHostResolvConf({
    path: join(dir, 'stub.conf'),
    resolvedPath: join(dir, 'absent.conf'),
  })
  t.equal(noReal.path, join(dir, 'stub.conf'), 'keeps the stub file when the real one is absent')
  const two = await readHostResolvConf({
    path: join(dir, 'two.conf'),
    resolvedPath: join(dir, 'real.conf'),
  })
  t.equal(two.path, join(dir, 'two.conf'), 'not a lone stub: file used as is')
  const missing = await readHostResolvConf({ path: join(dir, 'nope.conf') })
  t.equal(missing.missing, true)
  t.same(missing.conf.nameservers, [])
})

t.test('an unreadable host file is an UnavailableError', async (t) => {
  const dir = t.testdir({ sub: {} })
  await t.rejects(readHostResolvConf({ path: join(dir, 'sub') }), {
    name: 'UnavailableError',
    code: 'resolvconf-read',
  })
})

t.test('atomic write keeps the mode and leaves no temp files', async (t) => {
  const dir = t.testdir({ 'f.conf': 'old\n' })
  const file = join(dir, 'f.conf')
  await chmod(file, 0o600)
  await atomicWriteFile(file, 'new\n')
  t.equal(await readFile(file, 'utf8'), 'new\n')
  t.equal((await stat(file)).mode & 0o777, 0o600)
  await atomicWriteFile(join(dir, 'g.conf'), 'x', { mode: 0o640 })
  t.equal((await stat(join(dir, 'g.conf'))).mode & 0o777, 0o640)
  t.same((await readdir(dir)).sort(), ['f.conf', 'g.conf'])
  await t.rejects(atomicWriteFile(join(dir, 'missing-dir', 'x'), 'y'), {
    name: 'UnavailableError',
    code: 'resolvconf-write',
  })
  t.same((await readdir(dir)).sort(), ['f.conf', 'g.conf'], 'failed write leaves nothing behind')
})

t.test('container file: written, unchanged, kept when the user edited it', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'resolv.conf')
  const conf = parseResolvConf('nameserver 127.0.0.11\noptions ndots:0\n')
  t.equal(await writeContainerResolvConf(file, conf), 'written')
  const content = await readFile(file, 'utf8')
  t.equal(content, 'nameserver 127.0.0.11\noptions ndots:0\n')
  t.equal((await readFile(hashPath(file), 'utf8')).trim(), contentHash(content))
  t.equal(await writeContainerResolvConf(file, conf), 'unchanged')

  const next = parseResolvConf('nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0\n')
  t.equal(await writeContainerResolvConf(file, next), 'written')
  t.match(await readFile(file, 'utf8'), /search corp\.example/)

  await writeFile(file, 'nameserver 9.9.9.9\n') // the user edits it inside the container
  t.equal(await writeContainerResolvConf(file, conf), 'user-modified')
  t.equal(await readFile(file, 'utf8'), 'nameserver 9.9.9.9\n', 'hand edit kept')
  t.equal(await writeContainerResolvConf(file, conf, { force: true }), 'written')
  t.equal(await readFile(file, 'utf8'), 'nameserver 127.0.0.11\noptions ndots:0\n')
})

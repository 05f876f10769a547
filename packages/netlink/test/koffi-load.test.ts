// koffi is loaded from its prebuilt binary, not its entry file, which would also pull in its
// build tooling (https, tls, zlib) for the life of the process.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const src = fileURLToPath(new URL('../src/ffi.ts', import.meta.url))

t.test('loading libc through koffi does not load https, tls or zlib', (t) => {
  const code = `const { libc } = await import(${JSON.stringify(src)})
const c = libc()
const fd = c.socket(16, 3, 0) // AF_NETLINK, SOCK_RAW, NETLINK_ROUTE: koffi really works
console.log(JSON.stringify({ fd, close: c.close(fd), heavy: process.moduleLoadList.filter((m) => /^NativeModule (https|tls|zlib)$/.test(m)) }))`
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code],
    {
      encoding: 'utf8',
    },
  )
  const r = JSON.parse(out) as { fd: number; close: number; heavy: string[] }
  t.ok(r.fd >= 0, 'a netlink socket opened through the directly loaded binary')
  t.equal(r.close, 0)
  t.same(r.heavy, [], 'no https, tls or zlib loaded')
  t.end()
})

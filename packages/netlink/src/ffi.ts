/**
 * The few libc calls rtnetlink needs, through koffi (FFI with prebuilt binaries).
 * Every call here is synchronous and runs on the calling thread, which is what makes
 * `setns` → `socket` → `setns back` safe: no other JavaScript runs in between.
 */
import { createRequire } from 'node:module'
import type koffiModule from 'koffi'

type Koffi = typeof koffiModule
const require = createRequire(import.meta.url)

/**
 * koffi's entry file also loads its build tooling (https, tls, zlib, crypto): 4.6 MiB of
 * resident memory in a bare process (0.5 MiB in dnet, which needs crypto anyway) carried for
 * the life of the process. Where the prebuilt binary sits at
 * its usual place (Linux, glibc), load it directly; it exports the same API minus the
 * deprecated aliases. Anywhere else, or when that binary is not the installed version, fall
 * back to the entry file.
 */
function loadKoffi(): Koffi {
  const dir = `${process.platform}_${process.arch}`
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      const native = require(`koffi/build/koffi/${dir}/koffi.node`) as Koffi & { version?: string }
      const { version } = require('koffi/package.json') as { version: string }
      if (native.version === version) return native
    } catch {
      // musl, a bundler or another layout: the entry file knows where to look.
    }
  }
  return require('koffi') as Koffi
}

const koffi = loadKoffi()

export interface Libc {
  socket(domain: number, type: number, protocol: number): number
  bind(fd: number, addr: Buffer, len: number): number
  listen(fd: number, backlog: number): number
  send(fd: number, buf: Buffer, len: number, flags: number): number
  recv(fd: number, buf: Buffer, len: number, flags: number): number
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number
  getsockname(fd: number, addr: Buffer, len: number[]): number
  close(fd: number): number
  setns(fd: number, nstype: number): number
  unshare(flags: number): number
  mount(src: string, target: string, fstype: string | null, flags: number, data: null): number
  umount2: {
    (target: string, flags: number): number
    async(target: string, flags: number, cb: (err: unknown, result: number) => void): void
  }
  poll: {
    (fds: Buffer, nfds: number, timeout: number): number
    async(
      fds: Buffer,
      nfds: number,
      timeout: number,
      cb: (err: unknown, result: number) => void,
    ): void
  }
  errno(): number
}

let cached: Libc | undefined

/** Load libc once per thread (koffi keeps one instance per worker). */
export function libc(): Libc {
  if (cached) return cached
  const lib = koffi.load('libc.so.6')
  const fns = {
    socket: lib.func('int socket(int, int, int)'),
    bind: lib.func('int bind(int, void *, uint32_t)'),
    listen: lib.func('int listen(int, int)'),
    send: lib.func('intptr_t send(int, void *, size_t, int)'),
    recv: lib.func('intptr_t recv(int, _Out_ void *, size_t, int)'),
    setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
    getsockname: lib.func('int getsockname(int, _Out_ void *, _Inout_ uint32_t *)'),
    close: lib.func('int close(int)'),
    setns: lib.func('int setns(int, int)'),
    unshare: lib.func('int unshare(int)'),
    mount: lib.func('int mount(const char *, const char *, const char *, unsigned long, void *)'),
    umount2: lib.func('int umount2(const char *, int)'),
    poll: lib.func('int poll(void *, unsigned long, int)'),
  }
  cached = {
    ...(fns as unknown as Omit<Libc, 'errno'>),
    errno: () => koffi.errno(),
  }
  return cached
}

// The libc calls of the kernel relay, through koffi (loaded only when the first TCP connection
// is relayed, so an idle proxy does not carry it).
import { createRequire } from 'node:module'
import type koffiModule from 'koffi'

type Koffi = typeof koffiModule
type Fn<A extends unknown[]> = (...args: A) => number

export interface RelayLibc {
  splice: Fn<[number, null, number, null, number, number]>
  /** pipe2 into an 8-byte buffer: two int32 file descriptors. */
  pipe2: Fn<[Buffer, number]>
  epollCreate1: Fn<[number]>
  epollCtl: Fn<[number, number, number, Buffer | null]>
  /** epoll_wait on one of libuv's worker threads; the callback runs on the event loop. */
  epollWaitAsync(
    epfd: number,
    events: Buffer,
    max: number,
    timeout: number,
    cb: (err: unknown, n: number) => void,
  ): void
  eventfd: Fn<[number, number]>
  read: Fn<[number, Buffer, number]>
  shutdown: Fn<[number, number]>
  close: Fn<[number]>
  fcntl: Fn<[number, number, number]>
  errno(): number
}

/** koffi's native module directly: its entry file also loads tooling (https, zlib) we never use. */
function loadKoffi(): Koffi {
  const require = createRequire(import.meta.url)
  try {
    const native = require(
      `koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`,
    ) as Koffi & { version?: string }
    const { version } = require('koffi/package.json') as { version: string }
    if (native.version === version) return native
  } catch {
    // another layout (musl, a bundler): the entry file knows where to look
  }
  return require('koffi') as Koffi
}

/** Throws when koffi or libc cannot be loaded (the caller falls back to copying). */
export function loadRelayLibc(): RelayLibc {
  const koffi = loadKoffi()
  const lib = koffi.load('libc.so.6')
  const epollWait = lib.func('int epoll_wait(int, void *, int, int)') as unknown as {
    async: RelayLibc['epollWaitAsync']
  }
  return {
    splice: lib.func('intptr_t splice(int, void *, int, void *, size_t, unsigned int)'),
    pipe2: lib.func('int pipe2(void *, int)'),
    epollCreate1: lib.func('int epoll_create1(int)'),
    epollCtl: lib.func('int epoll_ctl(int, int, int, void *)'),
    epollWaitAsync: (...args) => epollWait.async(...args),
    eventfd: lib.func('int eventfd(unsigned int, int)'),
    read: lib.func('intptr_t read(int, void *, size_t)'),
    shutdown: lib.func('int shutdown(int, int)'),
    close: lib.func('int close(int)'),
    fcntl: lib.func('int fcntl(int, int, int)'),
    errno: () => koffi.errno(),
  }
}

/** Kernel errno values mapped to the @libnetwork/types error categories. */
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InternalError,
  type LibnetworkError,
  NotFoundError,
  NotImplementedError,
  RetryError,
  TimeoutError,
  UnavailableError,
} from '@libnetwork/types'

type Ctor = new (
  code: string,
  message: string,
  options?: { details?: Record<string, unknown>; cause?: unknown },
) => LibnetworkError

const ERRNO: Record<number, [name: string, text: string, ctor: Ctor]> = {
  1: ['EPERM', 'operation not permitted', ForbiddenError],
  2: ['ENOENT', 'no such file or directory', NotFoundError],
  3: ['ESRCH', 'no such process or object', NotFoundError],
  4: ['EINTR', 'interrupted system call', RetryError],
  9: ['EBADF', 'bad file descriptor', InternalError],
  11: ['EAGAIN', 'resource temporarily unavailable', RetryError],
  12: ['ENOMEM', 'out of memory', UnavailableError],
  13: ['EACCES', 'permission denied', ForbiddenError],
  16: ['EBUSY', 'device or resource busy', ConflictError],
  17: ['EEXIST', 'file exists', ConflictError],
  18: ['EXDEV', 'invalid cross-device link', BadRequestError],
  19: ['ENODEV', 'no such device', NotFoundError],
  22: ['EINVAL', 'invalid argument', BadRequestError],
  23: ['ENFILE', 'too many open files in system', UnavailableError],
  24: ['EMFILE', 'too many open files', UnavailableError],
  28: ['ENOSPC', 'no space left on device', UnavailableError],
  34: ['ERANGE', 'numerical result out of range', BadRequestError],
  61: ['ENODATA', 'no data available', NotFoundError],
  71: ['EPROTO', 'protocol error', InternalError],
  90: ['EMSGSIZE', 'message too long', BadRequestError],
  93: ['EPROTONOSUPPORT', 'protocol not supported', NotImplementedError],
  95: ['EOPNOTSUPP', 'operation not supported', NotImplementedError],
  97: ['EAFNOSUPPORT', 'address family not supported', NotImplementedError],
  98: ['EADDRINUSE', 'address already in use', ConflictError],
  99: ['EADDRNOTAVAIL', 'cannot assign requested address', NotFoundError],
  100: ['ENETDOWN', 'network is down', UnavailableError],
  101: ['ENETUNREACH', 'network is unreachable', BadRequestError],
  105: ['ENOBUFS', 'no buffer space available', RetryError],
  110: ['ETIMEDOUT', 'timed out', TimeoutError],
}

/** The symbolic name of an errno (`EEXIST`), or `E<number>` when unknown here. */
export function errnoName(errno: number): string {
  return ERRNO[errno]?.[0] ?? `E${errno}`
}

/**
 * A typed error for a failed kernel call: the class follows the errno's category
 * (EEXIST → ConflictError, ENODEV → NotFoundError, EPERM → ForbiddenError, …), the code is
 * the lower-case errno name, and `details` carry `errno`, `errnoName` and the caller's facts.
 */
export function errnoError(
  errno: number,
  what: string,
  details: Record<string, unknown> = {},
  kernelMessage?: string,
): LibnetworkError {
  const entry = ERRNO[errno]
  const name = entry?.[0] ?? `E${errno}`
  const text = entry?.[1] ?? `errno ${errno}`
  const Ctor = entry?.[2] ?? InternalError
  const extra = kernelMessage ? `: ${kernelMessage}` : ''
  return new Ctor(name.toLowerCase(), `${what}: ${text} (${name})${extra}`, {
    details: { ...details, errno, errnoName: name, ...(kernelMessage ? { kernelMessage } : {}) },
  })
}

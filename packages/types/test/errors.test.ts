import t from 'tap'
import {
  BadRequestError,
  ConflictError,
  LibnetworkError,
  NotFoundError,
  RetryError,
  UnavailableError,
  httpStatus,
  toLibnetworkError,
} from '../src/index.js'

t.test('errors carry category, code, details and cause', (t) => {
  const cause = new Error('boom')
  const err = new ConflictError('port-allocated', 'port 8080/tcp is already allocated on 0.0.0.0', {
    details: { ip: '0.0.0.0', port: 8080, protocol: 'tcp' },
    cause,
  })
  t.equal(err.name, 'ConflictError')
  t.equal(err.category, 'conflict')
  t.equal(err.code, 'port-allocated')
  t.same(err.details, { ip: '0.0.0.0', port: 8080, protocol: 'tcp' })
  t.equal(err.cause, cause)
  t.ok(err instanceof LibnetworkError)
  t.ok(err instanceof Error)
  t.same(JSON.parse(JSON.stringify(err)), {
    name: 'ConflictError',
    category: 'conflict',
    code: 'port-allocated',
    message: 'port 8080/tcp is already allocated on 0.0.0.0',
    details: { ip: '0.0.0.0', port: 8080, protocol: 'tcp' },
  })
  t.end()
})

t.test('isInstance recognises errors from another copy of the package', (t) => {
  const foreign = Object.assign(new Error('x'), { [Symbol.for('@libnetwork/error')]: true })
  t.ok(LibnetworkError.isInstance(foreign))
  t.notOk(LibnetworkError.isInstance(new Error('plain')))
  t.notOk(LibnetworkError.isInstance(null))
  t.notOk(LibnetworkError.isInstance('string'))
  t.ok(LibnetworkError.isInstance(new NotFoundError('x', 'y')))
  t.end()
})

t.test('isInstance of a category class matches that category only', (t) => {
  const notFound = new NotFoundError('x', 'y')
  t.notOk(BadRequestError.isInstance(notFound), 'a not-found error is no bad request')
  t.ok(NotFoundError.isInstance(notFound))
  t.notOk(ConflictError.isInstance(new RetryError('a', 'b')), 'retry and conflict share a status')
  t.ok(LibnetworkError.isInstance(notFound), 'the base class matches every category')
  // A copy of the package from another install: the mark and the category, not the prototype.
  const foreign = Object.assign(new Error('x'), {
    [Symbol.for('@libnetwork/error')]: true,
    category: 'not-found',
  })
  t.ok(NotFoundError.isInstance(foreign))
  t.notOk(BadRequestError.isInstance(foreign))
  t.notOk(BadRequestError.isInstance(new Error('plain')))
  t.end()
})

t.test('isInstance of a class below a category matches its own errors', (t) => {
  class NetworkGoneError extends NotFoundError {
    static override name = 'NetworkGoneError'
  }
  class OtherGoneError extends NetworkGoneError {
    static override name = 'OtherGoneError'
  }
  const gone = new NetworkGoneError('gone', 'network gone')
  t.ok(NetworkGoneError.isInstance(gone))
  t.ok(NotFoundError.isInstance(gone))
  t.notOk(NetworkGoneError.isInstance(new NotFoundError('x', 'y')), 'a plain not-found is not it')
  t.ok(NetworkGoneError.isInstance(new OtherGoneError('o', 'other')), 'its subclasses are')
  t.notOk(OtherGoneError.isInstance(gone))
  const err: unknown = gone
  if (NetworkGoneError.isInstance(err)) t.equal(err.code, 'gone', 'narrows to the class')
  t.end()
})

t.test('categories map to HTTP status codes and retryability', (t) => {
  t.equal(httpStatus(new BadRequestError('a', 'b').category), 400)
  t.equal(httpStatus(new NotFoundError('a', 'b').category), 404)
  t.equal(httpStatus(new ConflictError('a', 'b').category), 409)
  t.equal(httpStatus(new UnavailableError('a', 'b').category), 503)
  t.equal(httpStatus('internal'), 500)
  t.ok(new RetryError('stale', 'stale version').retryable)
  t.ok(new UnavailableError('down', 'store down').retryable)
  t.notOk(new BadRequestError('a', 'b').retryable)
  t.end()
})

t.test('toLibnetworkError wraps foreign throwables', (t) => {
  const nf = new NotFoundError('x', 'y')
  t.equal(toLibnetworkError(nf), nf)
  const wrapped = toLibnetworkError(new TypeError('bad'))
  t.equal(wrapped.category, 'internal')
  t.equal(wrapped.message, 'bad')
  t.equal(toLibnetworkError('text').message, 'text')
  t.end()
})

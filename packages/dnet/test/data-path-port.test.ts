// `[cluster] data_path_port`: the UDP port of the overlay's VXLAN tunnels (dockerd's
// `--data-path-port`), checked at the edge like Docker's (1024-49151), and handed to the overlay
// driver. The port on the wire is checked by test-integration/multihost/test/overlay-ports.
import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import { parseConfig } from '../src/index.js'
import { overlayDriver } from '../src/cluster-wiring.js'

t.test('absent: the driver’s default (4789); given: kept', async (t) => {
  t.equal(parseConfig('[cluster]\njoin = []').cluster?.dataPathPort, undefined, 'absent')
  t.equal(parseConfig('[cluster]\ndata_path_port = 4790').cluster?.dataPathPort, 4790)
  for (const port of [1024, 4789, 49151])
    t.equal(parseConfig(`[cluster]\ndata_path_port = ${port}`).cluster?.dataPathPort, port)
})

t.test('a bad port is a bad-request config error naming the key and the range', async (t) => {
  for (const [value, why] of [
    ['1023', 'a well-known port'],
    ['49152', 'a dynamic port'],
    ['0', 'zero'],
    ['70000', 'not a port'],
    ['4789.5', 'not an integer'],
    ['"4789"', 'a string'],
  ]) {
    let err: unknown
    try {
      parseConfig(`[cluster]\ndata_path_port = ${value}`)
    } catch (e) {
      err = e
    }
    t.ok(BadRequestError.isInstance(err), `${value} (${why}): a BadRequestError`)
    t.match(
      err,
      {
        category: 'bad-request',
        code: 'invalid-config',
        message: /cluster\.data_path_port must be a UDP port in 1024-49151 \(default 4789\)/,
      },
      `${value} (${why}): names the key and the range`,
    )
  }
})

t.test('the gossip port cannot be the VXLAN port too', async (t) => {
  t.throws(() => parseConfig('[cluster]\nbind_port = 4789\ndata_path_port = 4789'), {
    code: 'invalid-config',
    message: /cluster.data_path_port must differ from cluster.bind_port \(4789\)/,
  })
  t.equal(
    parseConfig('[cluster]\nbind_port = 4789\ndata_path_port = 4790').cluster?.dataPathPort,
    4790,
  )
})

t.test('the port reaches the overlay driver', async (t) => {
  // the driver checks what it is given: a port it refuses shows the value went through
  t.throws(() => overlayDriver('x-sb-', 70000), { code: 'overlay-invalid-port' })
  t.type(overlayDriver('x-sb-', 4790), 'function')
  t.type(overlayDriver('x-sb-'), 'function')
})

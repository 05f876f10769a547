import t from 'tap'
import { InvalidOptionError } from '@libnetwork/driverapi'
import { parseOverlayOptions } from '../src/index.js'

t.test('upstream labels and typed fields', async (t) => {
  t.same(parseOverlayOptions(undefined), { encrypted: false })
  t.same(
    parseOverlayOptions({
      'com.docker.network.driver.overlay.vxlanid_list': '4097,4098',
      'com.docker.network.driver.mtu': '1400',
      encrypted: '',
    }),
    { vnis: [4097, 4098], mtu: 1400, encrypted: true },
  )
  t.same(parseOverlayOptions({ vnis: [1], mtu: 9000, encrypted: false }), {
    vnis: [1],
    mtu: 9000,
    encrypted: false,
  })
})

t.test('bad options are refused with InvalidOptionError', async (t) => {
  for (const raw of [
    'x',
    [],
    { 'com.docker.network.driver.overlay.vxlanid_list': '0' },
    { 'com.docker.network.driver.overlay.vxlanid_list': '16777216' },
    { 'com.docker.network.driver.overlay.vxlanid_list': 'abc' },
    { 'com.docker.network.driver.overlay.vxlanid_list': '5,5' },
    { 'com.docker.network.driver.mtu': '67' },
    { 'com.docker.network.driver.mtu': 'big' },
    { encrypted: 'maybe' },
    { nope: 1 },
  ])
    t.throws(() => parseOverlayOptions(raw), InvalidOptionError, JSON.stringify(raw))
})

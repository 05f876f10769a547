import t from 'tap'
import { localStore } from '../src/index.js'
import { compliance } from './compliance.js'

t.test('local (lmdb) backend passes the compliance suite', async (t) => {
  const dir = t.testdir()
  let n = 0
  compliance(t, {
    name: 'lmdb',
    open: async () => localStore({ path: `${dir}/db${n++}`, maxValueBytes: 4096 }),
  })
})

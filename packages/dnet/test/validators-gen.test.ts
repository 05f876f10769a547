import { readFileSync } from 'node:fs'
import t from 'tap'
import { OUTPUT, generateValidators } from '../scripts/gen-validators.js'
import { schemas } from '../src/api/schemas.js'
import * as compiled from '../src/api/validators.gen.js'

t.test(
  'the checked-in validators match the schemas (run `npm run gen` after editing them)',
  async (t) => {
    t.equal(readFileSync(OUTPUT, 'utf8'), await generateValidators())
  },
)

t.test('there is one compiled validator per schema', async (t) => {
  t.same(Object.keys(compiled).sort(), Object.keys(schemas).sort())
})

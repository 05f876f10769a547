import { Ajv, type ValidateFunction } from 'ajv'
import { BadRequestError } from '@libnetwork/types'
import { schemas, type SchemaName } from './schemas.js'

const ajv = new Ajv({ allErrors: false, strict: true })
for (const [id, schema] of Object.entries(schemas)) {
  ajv.addSchema(schema, `#/components/schemas/${id}`)
}

const compiled = new Map<SchemaName, ValidateFunction>()

/** Validate a request body against a named schema; throws BadRequestError naming the field. */
export function validate<T>(schemaName: SchemaName, body: unknown): T {
  let fn = compiled.get(schemaName)
  if (!fn) {
    fn = ajv.getSchema(`#/components/schemas/${schemaName}`)
    if (!fn) throw new Error(`no schema ${schemaName}`)
    compiled.set(schemaName, fn)
  }
  if (!fn(body)) {
    const e = fn.errors?.[0]
    const where = e?.instancePath ? `${e.instancePath.slice(1).replaceAll('/', '.')}` : 'body'
    let what = e?.message ?? 'is invalid'
    if (e?.keyword === 'additionalProperties') {
      what = `has unknown field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`
    }
    throw new BadRequestError('invalid-body', `invalid ${schemaName}: ${where} ${what}`, {
      details: { schema: schemaName, path: e?.instancePath ?? '', keyword: e?.keyword ?? '' },
    })
  }
  return body as T
}

import { BadRequestError } from '@libnetwork/types'
import type { SchemaName } from './schemas.js'
import * as compiled from './validators.gen.js'

interface SchemaError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null }

const validators = compiled as unknown as Record<SchemaName, Validator>

/** Validate a request body against a named schema; throws BadRequestError naming the field. */
export function validate<T>(schemaName: SchemaName, body: unknown): T {
  const fn = validators[schemaName]
  if (!fn(body)) {
    const e = fn.errors?.[0]
    const where = e?.instancePath ? `${e.instancePath.slice(1).replaceAll('/', '.')}` : 'body'
    let what = e?.message ?? 'is invalid'
    if (e?.keyword === 'additionalProperties') {
      what = `has unknown field ${JSON.stringify(e.params.additionalProperty)}`
    }
    throw new BadRequestError('invalid-body', `invalid ${schemaName}: ${where} ${what}`, {
      details: { schema: schemaName, path: e?.instancePath ?? '', keyword: e?.keyword ?? '' },
    })
  }
  return body as T
}

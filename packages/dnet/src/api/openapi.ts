import { routes } from './routes.js'
import { schemas } from './schemas.js'

/** The OpenAPI 3.1 description of the REST API, built from the routes and request schemas. */
export function openapi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description: 'id or name',
    }))
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/\W+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: params,
      responses: {
        [String(r.status ?? 200)]: { description: 'success' },
        '4XX': errorResponse('the request was wrong: bad body, unknown object, conflict'),
        '5XX': errorResponse('the daemon or a dependency failed'),
      },
    }
    if (r.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.body}` } } },
      }
    }
    ;(paths[r.path] ??= {})[r.method.toLowerCase()] = op
  }
  return {
    openapi: '3.1.0',
    info: { title: 'dnet: the libnetwork daemon API', version },
    paths,
    components: { schemas },
  }
}

function errorResponse(description: string): Record<string, unknown> {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }
}

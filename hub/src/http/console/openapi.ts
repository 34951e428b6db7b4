import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { errorCatalogue } from '@khoa/protocol';

/**
 * `GET /api/openapi.json`: the console API described from the routes themselves (their
 * protocol schemas and role lists), so the document cannot drift from what the server checks.
 */
export class OpenApiCollector {
  readonly #routes: RouteOptions[] = [];

  /** An onRoute hook for the console's scope. */
  readonly collect = (r: RouteOptions): void => {
    if (!r.url.endsWith('/openapi.json') && r.method !== 'HEAD') this.#routes.push(r);
  };

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.#routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const schema = (r.schema ?? {}) as { body?: TSchema; querystring?: TSchema; params?: TSchema };
      const roles = (r.config as { roles?: readonly string[] | 'public' } | undefined)?.roles;
      const parameters = [
        ...Object.entries((schema.params?.properties ?? {}) as Record<string, TSchema>).map(([name, s]) => ({ name, in: 'path', required: true, schema: s })),
        ...Object.entries((schema.querystring?.properties ?? {}) as Record<string, TSchema>).map(([name, s]) => ({ name, in: 'query', required: (schema.querystring?.required ?? []).includes(name), schema: s })),
      ];
      for (const method of [r.method].flat()) {
        (paths[path] ??= {})[method.toLowerCase()] = {
          summary: `${method} ${r.url}`,
          description: roles === 'public' ? 'No session needed.' : `Roles: ${(roles ?? []).join(', ')}. Changes need the x-khoa-csrf header.`,
          ...(roles === 'public' ? { security: [] } : {}),
          /** Machine-readable role list (tests walk it to check every route's authorisation). */
          'x-khoa-roles': roles ?? [],
          ...(parameters.length ? { parameters } : {}),
          ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
          responses: { '200': { description: 'OK' }, default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
        };
      }
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Khoa console API', version: '1', description: 'Police console, household page and administration. Session cookie from POST /api/login.' },
      servers: [{ url: '/' }],
      security: [{ session: [] }],
      components: {
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'khoa_session' } },
        schemas: {
          Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(errorCatalogue) }, message: { type: 'string' }, context: { type: 'object' } } },
        },
      },
      paths,
    };
  }

  routes(): FastifyPluginAsync {
    return async (app) => {
      let doc: string | undefined;
      app.get('/openapi.json', { config: { roles: 'public' } }, async (_req, reply) => {
        doc ??= JSON.stringify(this.document());
        return reply.type('application/json').send(doc);
      });
    };
  }
}

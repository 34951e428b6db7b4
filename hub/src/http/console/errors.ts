import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { KhoaError, compile, httpStatusOf, isKhoaError, type Validator } from '@khoa/protocol';
import { databaseBusyError } from '../../storage/busy.ts';

const validators = new WeakMap<object, Validator<TSchema>>();

/** Request schemas are compiled by protocol's ajv (the one MQTT payloads use), once per schema object. */
export const protocolValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  let v = validators.get(schema);
  if (!v) {
    v = compile(schema, 'KHOA_ERR_HTTP_BAD_REQUEST');
    validators.set(schema, v);
  }
  const check = v;
  return (data: unknown) => {
    const r = check.check(data);
    return r.ok ? { value: r.value } : { error: r.error };
  };
};

/**
 * Every failure leaves as a KhoaError body with its HTTP status (httpStatusOf); fastify's own
 * errors (body too large, bad JSON) are mapped to the catalogue's codes; anything unexpected is
 * logged and answered with a bare 500.
 */
export function consoleErrorHandler(err: FastifyError | KhoaError, req: FastifyRequest, reply: FastifyReply) {
  let e: KhoaError;
  // Another program holding the SQLite write lock is worth a retry, not an internal error.
  const busy = databaseBusyError(err);
  if (isKhoaError(err)) e = err;
  else if (busy) e = busy;
  else if (err.validation) e = new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', err.message);
  else if (err.statusCode === 413) e = new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', 'request body too large');
  else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = new KhoaError('KHOA_ERR_HTTP_BAD_REQUEST', err.message);
  else {
    req.log.error({ err }, 'console API failed');
    // Same body as the hub's own handler for an unexpected failure; details stay in the log.
    return reply.code(500).send({ code: 'KHOA_ERR_INTERNAL', message: 'internal error', context: {} });
  }
  const status = httpStatusOf[e.code] ?? 500;
  if ((status === 429 || status === 503) && typeof e.context.retryAfterS === 'number') reply.header('retry-after', String(e.context.retryAfterS));
  return reply.code(status).send(e.toJSON());
}

import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceError } from '../errors.js';
import { safeIntegersPlugin } from './safe-integers.js';

/** What a client sees of any failure that is the server's fault. */
const INTERNAL_MESSAGE = 'the server failed to handle this request; quote the request_id when reporting it';

const statusOf = (error: FastifyError): number =>
  error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode <= 599 ? error.statusCode : 500;

/**
 * The service's one error handler. A 4xx keeps its message (it names the field or the
 * rule the client broke). A 500 is by definition unexpected: its body is generic plus the
 * request id, and database codes, constraint names, file paths and worker messages go to
 * the log under that id, never to the client (a ServiceError keeps its stable code). A
 * 501-599 raised on purpose (a full queue, overload) says so in its own words. URL
 * integers are bounded to the safe range on every route, so an out-of-range offset is a
 * 400, not a 500.
 */
const errorHandler: FastifyPluginAsync = async (app) => {
  await app.register(safeIntegersPlugin);
  app.setErrorHandler((error: FastifyError & { headers?: Record<string, string> }, request, reply) => {
    const statusCode = statusOf(error);
    if (error.headers) reply.headers(error.headers);
    if (statusCode < 500) {
      if (statusCode !== 404) request.log.info({ err: error, statusCode }, 'request refused');
      return reply.code(statusCode).send({
        statusCode,
        ...(error.code !== undefined && { code: error.code }),
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: error.message
      });
    }
    const unexpected = statusCode === 500;
    if (unexpected) request.log.error({ err: error, statusCode }, 'request failed');
    else request.log.warn({ err: error, statusCode }, 'request refused: service unavailable');
    const body = {
      statusCode,
      code: error instanceof ServiceError || (!unexpected && error.code !== undefined) ? error.code : 'HRL_INTERNAL_ERROR',
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: unexpected ? INTERNAL_MESSAGE : error.message,
      request_id: request.id
    };
    // Serialized here: a route's 5xx response schema would otherwise drop request_id.
    return reply.code(statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
  });

  // 5xx answers sent without an error (connection caps, health) carry the request id too.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 500 || typeof payload !== 'string' || !payload.startsWith('{') || payload.includes('"request_id"')) return payload;
    try {
      const body = JSON.parse(payload) as unknown;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return payload;
      return JSON.stringify({ ...body, request_id: request.id });
    } catch {
      return payload;
    }
  });
};

export const errorHandlerPlugin = fp(errorHandler, { name: 'error-handler', fastify: '5.x' });

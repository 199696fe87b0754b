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
 * rule the client broke). A 5xx body is generic plus the request id: database codes,
 * constraint names and file paths go to the log under that id, never to the client. A
 * ServiceError's message is written for clients (e.g. "the run queue is full"), so a 5xx
 * ServiceError keeps its code and message and gains the request id too. URL integers are
 * bounded to the safe range on every route, so an out-of-range offset is a 400, not a 500.
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
    const own = error instanceof ServiceError;
    if (own) request.log.warn({ err: error, statusCode }, 'request failed');
    else request.log.error({ err: error, statusCode }, 'request failed');
    const body = {
      statusCode,
      code: own ? error.code : 'HRL_INTERNAL_ERROR',
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: own ? error.message : INTERNAL_MESSAGE,
      request_id: request.id
    };
    // Serialized here: a route's 5xx response schema would otherwise drop request_id.
    return reply.code(statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
};

export const errorHandlerPlugin = fp(errorHandler, { name: 'error-handler', fastify: '5.x' });

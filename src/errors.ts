import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * An error with an HTTP status and a stable code. Fastify's error handler turns it into
 * `{ statusCode, code, error, message }` (docs/protocol.md §2).
 */
export class ServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** 503 with a Retry-After: the caller may try again shortly. */
export class ServiceBusyError extends ServiceError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number
  ) {
    super(503, code, message);
  }
}

export const notFound = (what: string, id: string) =>
  new ServiceError(404, 'HRL_NOT_FOUND', `${what} ${JSON.stringify(id)} not found`);

export const conflict = (code: string, message: string) => new ServiceError(409, code, message);

/** Sends the service's error body, `{ statusCode, code, error, message }`, from a hook. */
export const replyError = (reply: FastifyReply, statusCode: number, code: string, message: string) =>
  reply.code(statusCode).send({ statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message });

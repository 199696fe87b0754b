import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/**
 * Turns ajv's first error into a message naming the field, e.g.
 * "body/num_episodes must be >= 1" or "body has unknown field 'episodes'".
 */
export function formatSchemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const error = errors[0];
  const params = error.params as Record<string, unknown>;
  const where = `${dataVar}${error.instancePath}`;
  let message: string;
  if (error.keyword === 'additionalProperties') {
    message = `${where} has unknown field '${String(params.additionalProperty)}'`;
  } else if (error.keyword === 'required') {
    message = `${where}/${String(params.missingProperty)} is required`;
  } else {
    message = `${where} ${error.message ?? 'is invalid'}`;
  }
  return new Error(message);
}

import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

type Schema = Record<string, unknown>;

/**
 * Copies a schema, giving every integer without its own bounds the safe-integer range.
 * `?offset=99999999999999999999` coerces to 1e20, which passes `type: integer` but is no
 * longer exact, and the database refuses it (a 500); bounded, it is a 400 naming the field.
 */
export function boundIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(boundIntegers);
  if (schema === null || typeof schema !== 'object') return schema;
  const source = schema as Schema;
  const copy: Schema = {};
  for (const key of Reflect.ownKeys(source)) {
    const value = (source as Record<string | symbol, unknown>)[key];
    (copy as Record<string | symbol, unknown>)[key] =
      typeof key === 'string' && (key === 'properties' || key === 'patternProperties')
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, boundIntegers(v)]))
        : typeof key === 'string' && ['items', 'anyOf', 'oneOf', 'allOf', 'not', 'additionalProperties'].includes(key)
          ? boundIntegers(value)
          : value;
  }
  if (copy.type === 'integer') {
    copy.maximum ??= Number.MAX_SAFE_INTEGER;
    copy.minimum ??= Number.MIN_SAFE_INTEGER;
  }
  return copy;
}

/** URL inputs (path parameters and query strings) of every route get the safe-integer range. */
const safeIntegers: FastifyPluginAsync = async (app) => {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Schema | undefined;
    if (!schema) return;
    for (const part of ['querystring', 'params'] as const) {
      if (schema[part]) schema[part] = boundIntegers(schema[part]);
    }
  });
};

export const safeIntegersPlugin = fp(safeIntegers, { name: 'safe-integers', fastify: '5.x' });

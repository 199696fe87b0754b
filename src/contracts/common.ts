import { FormatRegistry, Type, type TSchema } from '@sinclair/typebox';

// TypeBox's compiler knows no formats by itself; the contracts use this one.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}

/** ISO-8601 UTC timestamp, e.g. 2026-11-25T12:00:00.000Z. */
export const TimestampSchema = Type.String({ format: 'date-time', description: 'ISO-8601 UTC timestamp' });

export const RunIdSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Run identifier assigned by the server',
  examples: ['run_mx4auclf_af40dd35b9219483']
});

/** Scenario names: a safe character set, so a name never needs rewriting (see README). */
export const ScenarioNameSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'Letters, digits, underscore, dot and hyphen; starts with a letter or digit; 1-100 characters',
  examples: ['balanced'] // one of the built-in templates (GET /api/scenarios/templates)
});

export const RequestIdSchema = Type.String({ minLength: 1, maxLength: 128 });

// Null first: with Fastify's type coercion a number branch tried first turns null into 0.
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema]);

/** Fastify's error body, used for every 4xx/5xx answer. */
export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
});

/**
 * The same schema with every nested object closed (additionalProperties: false), for
 * request bodies stored as given: unknown keys are refused instead of kept. Response and
 * event schemas stay open so fields can be added.
 */
export function closedObjects<T extends TSchema>(schema: T): T {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (typeof node !== 'object' || node === null) return node;
    // Spread keeps TypeBox's symbol markers (Kind, Optional).
    const out: Record<string | symbol, unknown> = { ...(node as Record<string | symbol, unknown>) };
    for (const key of ['properties', 'patternProperties']) {
      const map = out[key] as Record<string, unknown> | undefined;
      if (map) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, close(v)]));
    }
    for (const key of ['items', 'anyOf', 'allOf', 'oneOf']) if (out[key] !== undefined) out[key] = close(out[key]);
    if (out.type === 'object' && out.properties !== undefined) out.additionalProperties = false;
    return out;
  };
  return close(schema) as T;
}

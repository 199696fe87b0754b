import type { FastifyRequest } from 'fastify';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ScenarioNameSchema } from '../contracts/common.js';
import { ServiceError } from '../errors.js';
import { currencyProblem, DEFAULT_CURRENCY, normalizeScenarioConfig, ScenarioConfigError, type ScenarioConfig } from '../hrl/index.js';
import type { ScenarioRecord } from '../storage/index.js';

const validName = TypeCompiler.Compile(ScenarioNameSchema);

/** Names that route paths use under /api/scenarios/, so no scenario may take them. */
export const RESERVED_SCENARIO_NAMES: ReadonlySet<string> = new Set(['templates', 'import']);

export const NAME_RULE = "must be 1-100 characters of letters, digits, '_', '.', '-', starting with a letter or digit";

export const badRequest = (message: string) => new ServiceError(400, 'FST_ERR_VALIDATION', message);

/** 400 naming the rule for a name outside the safe set or a reserved one; a name is never rewritten. */
export function checkScenarioName(name: string, field = 'body/name'): void {
  if (!validName.Check(name)) throw badRequest(`${field} ${JSON.stringify(name)} ${NAME_RULE}`);
  if (RESERVED_SCENARIO_NAMES.has(name)) throw badRequest(`${field} ${JSON.stringify(name)} is reserved (it is a route under /api/scenarios/)`);
}

/**
 * Runs before schema validation so a bad name gets the rule in words rather than the
 * bare pattern (other fields get Fastify's "body/<field> ..." message).
 */
export async function rejectBadBodyName(request: FastifyRequest): Promise<void> {
  const body = request.body as { name?: unknown } | null | undefined;
  if (body && typeof body === 'object' && typeof body.name === 'string') checkScenarioName(body.name);
}

/** 400 for a code that is not a known ISO 4217 currency (the schema checks only its shape). */
export function checkCurrency(code: string, field = 'body/currency'): void {
  const problem = currencyProblem(code);
  if (problem) throw badRequest(`${field} ${problem} (got ${JSON.stringify(code)})`);
}

type ConfigBody = { environment: unknown; training?: unknown; reward?: unknown };

/** Fills the defaults and checks every rule; a broken rule is a 400 naming the field. */
export function configFromBody(body: ConfigBody): ScenarioConfig {
  try {
    return normalizeScenarioConfig({ environment: body.environment, training: body.training, reward: body.reward });
  } catch (error) {
    if (error instanceof ScenarioConfigError) throw badRequest(`body/${error.field.replaceAll('.', '/')} ${error.message.slice(error.field.length + 1)}`);
    throw error;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

// Serializing a config to measure it dominated the list route's cost; a stored scenario
// with the same name and updated_at has the same content, so its size is remembered.
const sizes = new Map<string, number>();
function storedSize(s: ScenarioRecord): number {
  const key = `${s.name}\u0000${s.updated_at}`;
  let size = sizes.get(key);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify({ description: s.description, config: s.config }), 'utf8');
    if (sizes.size >= 10_000) sizes.clear();
    sizes.set(key, size);
  }
  return size;
}

/** The original's list item, with the computed monthly margin. */
export function listItem(s: ScenarioRecord) {
  const env = s.config.environment;
  const available = env.income - env.fixed_expenses - env.variable_expense_mean;
  return {
    name: s.name,
    description: s.description,
    currency: s.currency ?? DEFAULT_CURRENCY,
    income: env.income,
    fixed_expenses: env.fixed_expenses,
    variable_expenses: env.variable_expense_mean,
    available_monthly: available,
    available_pct: env.income > 0 ? round1((100 * available) / env.income) : 0,
    risk_tolerance: env.risk_tolerance,
    updated_at: s.updated_at,
    size: storedSize(s)
  };
}

// Validates frames the way an outside client would: against the published schemas/ files.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

const root = new URL('../../schemas/', import.meta.url);
const ajv = new Ajv({ strict: false });
addFormatsPlugin.default(ajv);

const load = (id: string): ValidateFunction => ajv.compile(JSON.parse(readFileSync(new URL(`${id}.json`, root), 'utf8')));

// Pick the schema by the `type` discriminator, as a generated client would: far cheaper
// than trying every branch of the ServerMessage union for each of thousands of frames.
const index = JSON.parse(readFileSync(new URL('index.json', root), 'utf8')) as { messages: { server: Record<string, string> } };
const byType = new Map(Object.entries(index.messages.server).map(([type, id]) => [type, load(id)]));

/** Returns null when the frame is a valid server message, else ajv's explanation. */
export function serverMessageError(message: unknown): string | null {
  const type = (message as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? byType.get(type) : undefined;
  if (!validate) return `unknown server message type ${JSON.stringify(type)}`;
  return validate(message) ? null : ajv.errorsText(validate.errors);
}

const restValidators = new Map<string, ValidateFunction>();
/** Returns null when `body` validates against schemas/<id>.json. */
export function restBodyError(id: string, body: unknown): string | null {
  let validate = restValidators.get(id);
  if (!validate) restValidators.set(id, (validate = load(id)));
  return validate(body) ? null : ajv.errorsText(validate.errors);
}

// Validates frames the way an outside client would: against the published schemas/ files.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

const root = new URL('../../schemas/', import.meta.url);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormatsPlugin.default(ajv);

const load = (id: string): ValidateFunction => ajv.compile(JSON.parse(readFileSync(new URL(`${id}.json`, root), 'utf8')));

const serverMessage = load('ServerMessage');

/** Returns null when the frame is a valid server message, else ajv's explanation. */
export function serverMessageError(message: unknown): string | null {
  return serverMessage(message) ? null : ajv.errorsText(serverMessage.errors);
}

const restValidators = new Map<string, ValidateFunction>();
/** Returns null when `body` validates against schemas/<id>.json. */
export function restBodyError(id: string, body: unknown): string | null {
  let validate = restValidators.get(id);
  if (!validate) restValidators.set(id, (validate = load(id)));
  return validate(body) ? null : ajv.errorsText(validate.errors);
}

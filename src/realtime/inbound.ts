import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { CLIENT_MESSAGE_SCHEMAS, type ClientMessage } from '../contracts/client-messages.js';
import type { ErrorCode } from '../contracts/events.js';

type ClientType = keyof typeof CLIENT_MESSAGE_SCHEMAS;

// Compiled once at load (house rule: TypeCompiler for every inbound WebSocket message).
const checkers = Object.fromEntries(
  Object.entries(CLIENT_MESSAGE_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema)])
) as Record<ClientType, TypeCheck<any>>;

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; requestId?: string };

/** Turns one inbound frame into a validated client message or a protocol error naming the problem. */
export function parseClientFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ParseResult {
  if (isBinary) return { ok: false, code: 'binary_not_supported', message: 'binary frames are not supported; send UTF-8 JSON text frames' };
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'frame is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: 'invalid_message', message: 'message must be a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  const requestId = typeof record.request_id === 'string' && record.request_id.length <= 128 ? record.request_id : undefined;
  if (typeof record.type !== 'string') {
    return { ok: false, code: 'invalid_message', message: "field 'type' is required and must be a string", requestId };
  }
  const checker = Object.hasOwn(checkers, record.type) ? checkers[record.type as ClientType] : undefined;
  if (!checker) {
    return {
      ok: false,
      code: 'unknown_type',
      message: `unknown message type ${JSON.stringify(record.type.slice(0, 64))}; expected one of ${Object.keys(checkers).join(', ')}`,
      requestId
    };
  }
  if (!checker.Check(parsed)) {
    const first = checker.Errors(parsed).First();
    const field = first?.path ? first.path.slice(1).replaceAll('/', '.') : '';
    const detail = first
      ? first.message === 'Unexpected property'
        ? `unexpected field '${field}'`
        : `field '${field || 'message'}' ${first.message.toLowerCase()}`
      : 'does not match its schema';
    return { ok: false, code: 'invalid_message', message: `invalid ${record.type}: ${detail}`, requestId };
  }
  return { ok: true, message: parsed as ClientMessage };
}

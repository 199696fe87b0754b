/**
 * Writes schemas/ from the TypeBox contracts in src/contracts/registry.ts:
 *   schemas/<Id>.json    one standalone JSON Schema (draft-07) per registry entry
 *   schemas/asyncapi.json an AsyncAPI 3.0 document for the /ws channel, both directions
 *   schemas/index.json   the ids by kind and the wire `type` → id maps
 *
 *   npm run schemas          regenerate (and delete files that no longer have a contract)
 *   npm run schemas:check    exit 1 and name the files when schemas/ is stale
 *   ... --out <dir>          another output directory
 *
 * Output is a pure function of the registry and package.json's version, so CI can
 * compare it byte for byte.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contracts as registryContracts, type Contract, type ContractKind } from '../src/contracts/registry.js';
import { PROTOCOL_VERSION } from '../src/contracts/events.js';

/**
 * draft-07 rather than 2020-12: it is the dialect AsyncAPI's schema format extends and
 * the one json-schema-to-typescript, quicktype and ajv's default export all read.
 */
export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';
/**
 * Absolute `$id`s (a name under a reserved `.local` host, never fetched): ajv and
 * ref-parsers want absolute URIs, and the last path segment is the file name, so a
 * tool that resolves `$id` against the folder finds the file next to it.
 */
export const SCHEMA_ID_BASE = 'https://hrl-finance.local/schemas/';
export const WS_CHANNEL_ADDRESS = '/ws';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'schemas');

/** Files in schemas/ written by other tools; the check neither expects nor deletes them. */
export const FOREIGN_FILES: ReadonlySet<string> = new Set(['openapi.json']);
const RESERVED_FILES = new Set(['asyncapi.json', 'index.json', ...FOREIGN_FILES]);

export const schemaId = (id: string): string => `${SCHEMA_ID_BASE}${id}.json`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// ---- canonical JSON Schema ------------------------------------------------------------

// Keywords come out in this order (unknown ones after, alphabetically); members of
// `properties` keep their declaration order, which is the order a reader expects and
// codegen tools keep.
const KEYWORD_ORDER = [
  '$schema', '$id', '$ref', 'title', 'description', '$comment', 'type', 'const', 'enum', 'format',
  'pattern', 'minLength', 'maxLength', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum',
  'multipleOf', 'default', 'examples', 'properties', 'patternProperties', 'required',
  'additionalProperties', 'propertyNames', 'minProperties', 'maxProperties', 'items', 'additionalItems',
  'contains', 'minItems', 'maxItems', 'uniqueItems', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then',
  'else', 'definitions', '$defs'
];
const KEYWORD_RANK = new Map(KEYWORD_ORDER.map((k, i) => [k, i]));
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
const SCHEMA_KEYWORDS = new Set([
  'additionalProperties', 'propertyNames', 'items', 'additionalItems', 'contains', 'not', 'if', 'then', 'else',
  'unevaluatedProperties', 'unevaluatedItems'
]);
const SCHEMA_ARRAY_KEYWORDS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const JSON_TYPES = new Set(['null', 'boolean', 'integer', 'number', 'string', 'array', 'object']);

function compareKeywords(a: string, b: string): number {
  const ra = KEYWORD_RANK.get(a) ?? KEYWORD_ORDER.length;
  const rb = KEYWORD_RANK.get(b) ?? KEYWORD_ORDER.length;
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

/** A plain JSON copy of data (const, default, enum, examples): symbol keys dropped. */
function plainJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/**
 * A copy of a TypeBox schema as plain JSON Schema in canonical key order. Symbol keys
 * (TypeBox's Kind/Optional markers) are dropped because Object.keys skips them; nested
 * `$id`s are dropped so every file is one resource (the `$id` belongs to the file);
 * TypeBox-only types and `$ref`s, which a standalone file could not honour, are errors.
 */
export function canonicalSchema(schema: unknown, where: string): JsonObject {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new Error(`${where}: expected a schema object`);
  }
  const source = schema as Record<string, unknown>;
  const out: JsonObject = {};
  for (const key of Object.keys(source).sort(compareKeywords)) {
    const value = source[key];
    if (value === undefined || key === '$id') continue;
    const at = `${where}/${key}`;
    if (key === '$ref') {
      throw new Error(`${at}: $ref ${JSON.stringify(value)} — generated files must be standalone; inline the schema (TypeBox Type.Ref is not supported here)`);
    }
    if (key === 'type') {
      const types = Array.isArray(value) ? value : [value];
      for (const t of types) {
        if (typeof t !== 'string' || !JSON_TYPES.has(t)) {
          throw new Error(`${at}: ${JSON.stringify(t)} is a TypeBox-only type with no JSON Schema form`);
        }
      }
      out[key] = plainJson(value);
    } else if (SCHEMA_MAP_KEYWORDS.has(key)) {
      const members: JsonObject = {};
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
        members[name] = canonicalSchema(sub, `${at}/${name}`);
      }
      out[key] = members;
    } else if (SCHEMA_ARRAY_KEYWORDS.has(key)) {
      out[key] = (value as unknown[]).map((sub, i) => canonicalSchema(sub, `${at}/${i}`));
    } else if (SCHEMA_KEYWORDS.has(key) && typeof value === 'object' && value !== null) {
      out[key] = Array.isArray(value)
        ? value.map((sub, i) => canonicalSchema(sub, `${at}/${i}`))
        : canonicalSchema(value, at);
    } else {
      out[key] = plainJson(value);
    }
  }
  return out;
}

/** The standalone file for one contract: dialect, `$id` and title first. */
export function contractSchema(contract: Contract): JsonObject {
  const body = canonicalSchema(contract.schema, contract.id);
  delete body.$schema;
  delete body.title;
  return { $schema: JSON_SCHEMA_DIALECT, $id: schemaId(contract.id), title: contract.id, ...body };
}

// ---- AsyncAPI 3.0 ---------------------------------------------------------------------

const SERVER_OPERATION = 'sendServerMessages';
const CLIENT_OPERATION = 'receiveClientMessages';
const WS_CHANNEL = 'ws';

/**
 * Operations are from the server's point of view (AsyncAPI 3): it sends server
 * messages and receives client messages on the one /ws channel. Payloads are embedded
 * copies under components.schemas, keyed by the same ids as the files, so the
 * document validates without resolving anything outside itself.
 */
export function asyncApiDocument(contracts: readonly Contract[], version: string): JsonObject {
  const messagesOf = (kind: ContractKind) => contracts.filter((c) => c.kind === kind);
  const serverMessages = messagesOf('server-message');
  const clientMessages = messagesOf('client-message');
  const all = [...serverMessages, ...clientMessages];

  const schemas: JsonObject = {};
  const messages: JsonObject = {};
  const channelMessages: JsonObject = {};
  for (const c of all) {
    if (!c.messageType) throw new Error(`${c.id}: a ${c.kind} contract needs its messageType`);
    const { $schema: _dialect, $id: _id, ...payload } = contractSchema(c);
    schemas[c.id] = payload;
    const description = typeof payload.description === 'string' ? payload.description : undefined;
    messages[c.id] = {
      name: c.messageType,
      title: c.id,
      summary: `${c.kind === 'server-message' ? 'Server → client' : 'Client → server'}: \`${c.messageType}\``,
      ...(description ? { description } : {}),
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${c.id}` }
    };
    channelMessages[c.id] = { $ref: `#/components/messages/${c.id}` };
  }
  const operationMessages = (list: Contract[]) =>
    list.map((c) => ({ $ref: `#/channels/${WS_CHANNEL}/messages/${c.id}` }));

  return {
    asyncapi: '3.0.0',
    id: 'urn:hrl-finance:ws',
    info: {
      title: 'HRL Finance live training API',
      version,
      description:
        `WebSocket protocol v${PROTOCOL_VERSION} of the HRL Finance backend: one JSON object per text frame. ` +
        'Generated from src/contracts by scripts/generate-schemas.ts; do not edit. ' +
        'What no schema can express (seq, resume, rate rule, limits, close codes) is in the protocol documentation (README).',
      'x-protocol-version': PROTOCOL_VERSION
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:8000',
        protocol: 'ws',
        description: 'Embedded default (PORT and HOST are configurable).',
        security: [
          { $ref: '#/components/securitySchemes/bearerToken' },
          { $ref: '#/components/securitySchemes/queryToken' }
        ]
      }
    },
    channels: {
      [WS_CHANNEL]: {
        address: WS_CHANNEL_ADDRESS,
        title: 'Live training events',
        description:
          'The first frame is connection_established. Run events carry run_id and a per-run, contiguous seq; ' +
          'a client receives them after subscribe_training.',
        servers: [{ $ref: '#/servers/local' }],
        messages: channelMessages
      }
    },
    operations: {
      [SERVER_OPERATION]: {
        action: 'send',
        channel: { $ref: `#/channels/${WS_CHANNEL}` },
        title: 'Server → client messages',
        summary: 'Session messages and run events (envelope with type and ts; run events add run_id, seq and data).',
        messages: operationMessages(serverMessages)
      },
      [CLIENT_OPERATION]: {
        action: 'receive',
        channel: { $ref: `#/channels/${WS_CHANNEL}` },
        title: 'Client → server messages',
        summary: 'Subscription management and application-level ping; a rejected message is answered with error.',
        messages: operationMessages(clientMessages)
      }
    },
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <token> on the upgrade request (when the server has tokens configured).'
        },
        queryToken: {
          type: 'httpApiKey',
          in: 'query',
          name: 'token',
          description: '?token=<token>, for browsers, which cannot set headers on a WebSocket.'
        }
      }
    }
  };
}

// ---- the whole folder -------------------------------------------------------------------

function indexDocument(contracts: readonly Contract[]): JsonObject {
  const kinds: ContractKind[] = ['server-message', 'client-message', 'rest', 'domain'];
  const byKind: JsonObject = {};
  for (const kind of kinds) byKind[kind] = contracts.filter((c) => c.kind === kind).map((c) => c.id);
  const messageMap = (kind: ContractKind): JsonObject =>
    Object.fromEntries(contracts.filter((c) => c.kind === kind).map((c) => [c.messageType ?? c.id, c.id]));
  return {
    $comment: 'Generated by scripts/generate-schemas.ts from src/contracts/registry.ts; do not edit.',
    dialect: JSON_SCHEMA_DIALECT,
    idBase: SCHEMA_ID_BASE,
    asyncapi: 'asyncapi.json',
    kinds: byKind,
    messages: { server: messageMap('server-message'), client: messageMap('client-message') }
  };
}

const render = (value: Json): string => `${JSON.stringify(value, null, 2)}\n`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Every file the generator owns, by file name, with its exact content. */
export function generateSchemaFiles(
  contracts: readonly Contract[] = registryContracts,
  version: string = packageVersion()
): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of contracts) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(c.id)) throw new Error(`contract id ${JSON.stringify(c.id)} must be PascalCase`);
    const file = `${c.id}.json`;
    if (files.has(file)) throw new Error(`contract id ${c.id} is registered twice`);
    if (RESERVED_FILES.has(file)) throw new Error(`contract id ${c.id} collides with schemas/${file}`);
    files.set(file, render(contractSchema(c)));
  }
  const messageTypes = new Set<string>();
  for (const c of contracts) {
    if (!c.messageType) continue;
    const key = `${c.kind}:${c.messageType}`;
    if (messageTypes.has(key)) throw new Error(`message type ${c.messageType} is registered twice`);
    messageTypes.add(key);
  }
  files.set('asyncapi.json', render(asyncApiDocument(contracts, version)));
  files.set('index.json', render(indexDocument(contracts)));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function jsonFilesIn(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => n.endsWith('.json') && !FOREIGN_FILES.has(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export type Difference = { file: string; problem: 'missing' | 'changed' | 'extra' };

/** How `dir` differs from `expected`; empty when it is fresh. */
export async function diffSchemaDir(dir: string, expected: Map<string, string>): Promise<Difference[]> {
  const present = new Set(await jsonFilesIn(dir));
  const differences: Difference[] = [];
  for (const [file, content] of expected) {
    if (!present.has(file)) differences.push({ file, problem: 'missing' });
    else if ((await readFile(join(dir, file), 'utf8')) !== content) differences.push({ file, problem: 'changed' });
  }
  for (const file of present) if (!expected.has(file)) differences.push({ file, problem: 'extra' });
  return differences.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Makes `dir` match `expected`: writes what differs and deletes stale files. */
export async function writeSchemaDir(dir: string, expected: Map<string, string>): Promise<Difference[]> {
  const differences = await diffSchemaDir(dir, expected);
  await mkdir(dir, { recursive: true });
  for (const { file, problem } of differences) {
    if (problem === 'extra') await rm(join(dir, file));
    else await writeFile(join(dir, file), expected.get(file)!);
  }
  return differences;
}

/** The command line; returns the exit code so tests can run it in-process. */
export async function main(
  argv: readonly string[],
  log: (line: string) => void = (line) => console.log(line)
): Promise<number> {
  let check = false;
  let outDir = DEFAULT_OUT_DIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') check = true;
    else if (arg === '--out' && argv[i + 1]) outDir = resolve(argv[++i]!);
    else {
      log(`unknown argument ${arg}; usage: generate-schemas [--check] [--out <dir>]`);
      return 2;
    }
  }
  const expected = generateSchemaFiles();
  if (check) {
    const differences = await diffSchemaDir(outDir, expected);
    if (differences.length === 0) {
      log(`schemas: ${expected.size} files up to date in ${outDir}`);
      return 0;
    }
    for (const d of differences) log(`stale: ${d.file} (${d.problem})`);
    log(`schemas: ${differences.length} of the files in ${outDir} are stale; run \`npm run schemas\``);
    return 1;
  }
  const differences = await writeSchemaDir(outDir, expected);
  for (const d of differences) log(`${d.problem === 'extra' ? 'deleted' : 'wrote'} ${d.file}`);
  log(`schemas: ${expected.size} files in ${outDir} (${differences.length} changed)`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    }
  );
}

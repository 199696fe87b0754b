import t from 'tap';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { DEFAULT_OUT_DIR, WS_CHANNEL_ADDRESS } from '../../scripts/generate-schemas.js';
import { contracts } from '../../src/contracts/registry.js';

// Reads the committed schemas/ (schemas-fresh.test.ts proves it matches the contracts),
// exactly as a client author would.
const NOT_SCHEMAS = new Set(['asyncapi.json', 'index.json', 'openapi.json']);

/** A client written against the generated types: narrowing on `type` must work. */
const CLIENT = `
import type { ServerMessage } from './types/ServerMessage.js';
import type { ClientMessage } from './types/ClientMessage.js';
import type { SubscribeTraining } from './types/SubscribeTraining.js';
import type { StartTrainingBody } from './types/StartTrainingBody.js';
import type { Run } from './types/Run.js';

export function describe(frame: string): string {
  const msg = JSON.parse(frame) as ServerMessage;
  switch (msg.type) {
    case 'connection_established': {
      const version: 1 = msg.protocol_version;
      return msg.session_id + ' v' + version + ' every ' + msg.heartbeat_interval_ms + 'ms';
    }
    case 'training_started':
      return msg.data.scenario_name + ' seed ' + msg.data.seed;
    case 'training_progress': {
      const reward: number = msg.data.avg_reward;
      const episode: number = msg.data.episode;
      return msg.run_id + '#' + msg.seq + ' episode ' + episode + '/' + msg.data.total_episodes + ' ' + reward.toFixed(2);
    }
    case 'training_completed':
      return msg.data.model_name + ' ' + msg.data.final_metrics.avg_portfolio.toFixed(0);
    case 'training_stopped':
      return msg.data.model_name ?? 'nothing saved';
    case 'training_error':
      return msg.data.message + ' after ' + msg.data.episodes_completed;
    case 'subscription_confirmed':
      return (msg.resumed ? 'resumed, ' : 'live, ') + msg.replayed + ' replayed';
    case 'unsubscribed':
      return 'unsubscribed ' + (msg.run_id ?? msg.scenario_name ?? 'all');
    case 'pong':
      return 'pong ' + (msg.request_id ?? '');
    case 'error': {
      const code: 'unknown_run' | 'invalid_request' | (string & {}) = msg.code;
      return code + ': ' + msg.message;
    }
    default: {
      const unreachable: never = msg;
      return unreachable;
    }
  }
}

export const resume: SubscribeTraining = { type: 'subscribe_training', run_id: 'run_01', since_seq: 7 };
export const outgoing: ClientMessage[] = [resume, { type: 'ping', request_id: 'p1' }, { type: 'unsubscribe_training' }];
export const start: StartTrainingBody = { scenario_name: 'demo', num_episodes: 10, save_interval: 5, eval_episodes: 0 };
export const finished = (run: Run): boolean => run.status === 'completed' && run.finished_at !== null;
`;

/** Each line marked MISUSE must produce a diagnostic, and nothing else may. */
const MISUSE = `
import type { TrainingProgressEvent } from './types/TrainingProgressEvent.js';
import type { SubscribeTraining } from './types/SubscribeTraining.js';
import type { ServerMessage } from './types/ServerMessage.js';

export function misuse(ev: TrainingProgressEvent, msg: ServerMessage): void {
  ev.data.episode = 'seven'; // MISUSE: episode is a number
  const typo: SubscribeTraining = { type: 'subscribe_training', runId: 'run_01' }; // MISUSE: unknown filter field
  const since: SubscribeTraining = { type: 'subscribe_training', since_seq: '3' }; // MISUSE: since_seq is a number
  if (msg.type === 'training_stopped') void msg.data.model_name.length; // MISUSE: model_name may be null
  void typo; void since;
}
`;

async function generateTypes(outDir: string): Promise<string[]> {
  const names = (await readdir(DEFAULT_OUT_DIR)).filter((n) => n.endsWith('.json') && !NOT_SCHEMAS.has(n)).sort();
  await mkdir(outDir, { recursive: true });
  for (const name of names) {
    const schema = JSON.parse(await readFile(join(DEFAULT_OUT_DIR, name), 'utf8')) as JSONSchema;
    const source = await compile(schema, String(schema.title), { bannerComment: '', format: false, cwd: DEFAULT_OUT_DIR });
    await writeFile(join(outDir, name.replace(/\.json$/, '.ts')), source);
  }
  return names;
}

function typeCheck(files: string[]): readonly ts.Diagnostic[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
    noUnusedLocals: true,
    exactOptionalPropertyTypes: true
  });
  return ts.getPreEmitDiagnostics(program);
}

const render = (d: ts.Diagnostic) => {
  const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
  return `${d.file?.fileName ?? ''}:${where ? where.line + 1 : '?'} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
};

t.test('json-schema-to-typescript types from schemas/ type-check a client and catch its misuse', async (t) => {
  const dir = t.testdir();
  const names = await generateTypes(join(dir, 'types'));
  t.equal(names.length, contracts.length, 'one generated module per contract');

  const client = join(dir, 'client.ts');
  const misuse = join(dir, 'misuse.ts');
  await writeFile(client, CLIENT);
  await writeFile(misuse, MISUSE);
  const diagnostics = typeCheck([client, misuse, ...names.map((n) => join(dir, 'types', n.replace(/\.json$/, '.ts')))]);

  const outside = diagnostics.filter((d) => d.file?.fileName !== misuse);
  t.same(outside.map(render), [], 'the client and every generated module compile with zero diagnostics (strict)');

  const expectedLines = MISUSE.split('\n').flatMap((line, i) => (line.includes('// MISUSE') ? [i + 1] : []));
  const lines = diagnostics
    .filter((d) => d.file?.fileName === misuse)
    .map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1);
  t.same([...new Set(lines)].sort((a, b) => a - b), expectedLines, 'exactly the misuse lines are rejected');
  t.match(
    diagnostics.filter((d) => d.file?.fileName === misuse).map(render).join('\n'),
    /Type 'string' is not assignable to type 'number'/,
    'a string assigned to data.episode is a type error'
  );
});

t.test('schemas/asyncapi.json is a valid AsyncAPI 3 document carrying every registry message', async (t) => {
  const text = await readFile(join(DEFAULT_OUT_DIR, 'asyncapi.json'), 'utf8');
  const { document, diagnostics } = await new Parser().parse(text);
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  t.same(errors.map((d) => `${d.code} ${d.path.join('/')}: ${d.message}`), [], 'no error diagnostics');
  if (!t.ok(document, 'the parser returns a document') || !document) return;

  t.match(document.version(), /^3\.0\./);
  const channel = document.channels().all().find((c) => c.address() === WS_CHANNEL_ADDRESS);
  t.ok(channel, `a channel at ${WS_CHANNEL_ADDRESS}`);

  const operationOf = (action: 'send' | 'receive') => {
    const ops = document.operations().all().filter((o) => o.action() === action);
    t.equal(ops.length, 1, `one ${action} operation`);
    return ops[0];
  };
  const sent = new Set(operationOf('send')?.messages().all().map((m) => m.name()));
  const received = new Set(operationOf('receive')?.messages().all().map((m) => m.name()));
  for (const c of contracts) {
    if (c.kind === 'server-message') t.ok(sent.has(c.messageType), `the server sends ${c.messageType}`);
    if (c.kind === 'client-message') t.ok(received.has(c.messageType), `the server receives ${c.messageType}`);
  }
  const messageCount = contracts.filter((c) => c.kind === 'server-message' || c.kind === 'client-message').length;
  t.equal(sent.size + received.size, messageCount, 'and nothing else');

  // The embedded payloads are the schema files minus their file-level header.
  const raw = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
  for (const c of contracts.filter((x) => x.messageType)) {
    const { $schema: _dialect, $id: _id, ...payload } = JSON.parse(
      await readFile(join(DEFAULT_OUT_DIR, `${c.id}.json`), 'utf8')
    ) as Record<string, unknown>;
    t.same(raw.components.schemas[c.id], payload, `components.schemas.${c.id} is schemas/${c.id}.json`);
  }
});

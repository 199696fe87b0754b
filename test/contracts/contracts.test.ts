import t from 'tap';
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import '../../src/contracts/index.js';
import { contracts } from '../../src/contracts/registry.js';
import { generateSchemaFiles } from '../../scripts/generate-schemas.js';

// TypeBox rejects a string with a format it does not know: importing the contracts
// must register `date-time`, or every message's `ts` fails TypeCompiler checks.
const contractsRegisterDateTime = FormatRegistry.Has('date-time');

const ts = '2026-11-25T12:00:00.000Z';
const runId = 'run_01';
const scenario = 'young_professional';
const progressData = {
  episode: 1,
  total_episodes: 100,
  avg_reward: -12.5,
  avg_duration: 60,
  avg_cash: 1500.25,
  avg_invested: 300,
  stability: 0.9,
  goal_adherence: 0.12,
  elapsed_time: 0.4
};
const finalMetrics = {
  avg_reward: 40.1,
  avg_duration: 60,
  avg_cash: 2100,
  avg_invested: 900,
  avg_portfolio: 9000.5,
  stability: 0.95,
  goal_adherence: 0.05,
  max_reward: 55,
  final_reward: 41,
  eval_episodes: 10,
  eval_reward_mean: 39.5,
  eval_total_wealth_mean: 10500
};
const runEvent = (type: string, seq: number, data: object) => ({ type, ts, run_id: runId, seq, data });

/** One valid sample per message contract, keyed by contract id. */
const valid: Record<string, unknown[]> = {
  TrainingStartedEvent: [
    runEvent('training_started', 1, { run_id: runId, scenario_name: scenario, num_episodes: 100, start_time: ts, seed: 42 })
  ],
  TrainingProgressEvent: [runEvent('training_progress', 2, progressData)],
  TrainingCompletedEvent: [
    runEvent('training_completed', 3, {
      scenario_name: scenario,
      episodes_completed: 100,
      final_metrics: finalMetrics,
      model_name: 'young_professional_1',
      duration_s: 12.3
    })
  ],
  TrainingStoppedEvent: [
    runEvent('training_stopped', 1, { scenario_name: scenario, episodes_completed: 0, model_name: null }),
    runEvent('training_stopped', 9, { scenario_name: scenario, episodes_completed: 7, model_name: 'partial_7' })
  ],
  TrainingErrorEvent: [
    runEvent('training_error', 4, { message: 'worker crashed', details: 'exit code 1', scenario_name: scenario, episodes_completed: 2 })
  ],
  ConnectionEstablished: [
    { type: 'connection_established', ts, message: 'connected', session_id: 's-1', protocol_version: 1, heartbeat_interval_ms: 30000 }
  ],
  SubscriptionConfirmed: [
    { type: 'subscription_confirmed', ts, replayed: 0, resumed: false },
    { type: 'subscription_confirmed', ts, request_id: 'r1', run_id: runId, replayed: 3, resumed: true }
  ],
  Unsubscribed: [{ type: 'unsubscribed', ts }, { type: 'unsubscribed', ts, scenario_name: scenario }],
  Pong: [{ type: 'pong', ts }, { type: 'pong', ts, request_id: 'p1' }],
  ErrorMessage: [{ type: 'error', ts, code: 'unknown_run', message: 'no run run_99', request_id: 'r2' }],
  SubscribeTraining: [
    { type: 'subscribe_training' },
    { type: 'subscribe_training', request_id: 'r1', run_id: runId, since_seq: 0 },
    { type: 'subscribe_training', scenario_name: scenario }
  ],
  UnsubscribeTraining: [{ type: 'unsubscribe_training' }, { type: 'unsubscribe_training', run_id: runId }],
  Ping: [{ type: 'ping' }, { type: 'ping', request_id: 'x' }],
  StartTrainingBody: [{ scenario_name: scenario, num_episodes: 10, save_interval: 5, eval_episodes: 0, seed: 7 }],
  StopTrainingBody: [{}, { run_id: runId }],
  Run: [
    {
      run_id: runId,
      scenario_name: scenario,
      status: 'running',
      num_episodes: 100,
      episodes_completed: 1,
      seed: 42,
      created_at: ts,
      started_at: ts,
      finished_at: null,
      model_name: null,
      latest_progress: progressData,
      error: null
    }
  ]
};

const withoutEpisode: Record<string, unknown> = { ...progressData };
delete withoutEpisode.episode;

/** Representative messages each contract must reject, with why. */
const invalid: Record<string, Array<[string, unknown]>> = {
  SubscribeTraining: [
    ['a misspelt filter (runId) instead of widening to every run', { type: 'subscribe_training', runId }],
    ['a negative since_seq', { type: 'subscribe_training', run_id: runId, since_seq: -1 }],
    ['a fractional since_seq', { type: 'subscribe_training', run_id: runId, since_seq: 1.5 }],
    ['a run_id with a slash', { type: 'subscribe_training', run_id: '../x' }],
    ['another message type', { type: 'ping' }]
  ],
  UnsubscribeTraining: [['since_seq, which only subscribe takes', { type: 'unsubscribe_training', since_seq: 1 }]],
  Ping: [['an unknown field', { type: 'ping', request_id: 'x', extra: true }]],
  TrainingProgressEvent: [
    ['progress without episode', runEvent('training_progress', 2, withoutEpisode)],
    ['episode as a string', runEvent('training_progress', 2, { ...progressData, episode: '1' })],
    ['seq 0 (seq starts at 1)', runEvent('training_progress', 0, progressData)],
    ['stability above 1', runEvent('training_progress', 2, { ...progressData, stability: 1.5 })],
    ['a ts that is not a date-time', { ...runEvent('training_progress', 2, progressData), ts: 'yesterday' }],
    ['no run_id', { type: 'training_progress', ts, seq: 2, data: progressData }]
  ],
  TrainingStoppedEvent: [
    ['model_name missing (null is how nothing saved is said)', runEvent('training_stopped', 1, { scenario_name: scenario, episodes_completed: 0 })]
  ],
  ConnectionEstablished: [
    ['another protocol version', { type: 'connection_established', ts, message: 'm', session_id: 's', protocol_version: 2, heartbeat_interval_ms: 1 }]
  ],
  ErrorMessage: [['an undocumented error code', { type: 'error', ts, code: 'teapot', message: 'm' }]],
  StartTrainingBody: [
    ['a scenario name with a path in it', { scenario_name: '../etc', num_episodes: 1, save_interval: 1, eval_episodes: 0 }],
    ['zero episodes', { scenario_name: scenario, num_episodes: 0, save_interval: 1, eval_episodes: 0 }],
    ['an unknown field', { scenario_name: scenario, num_episodes: 1, save_interval: 1, eval_episodes: 0, episodes: 5 }]
  ],
  Run: [['an unknown status', { ...(valid.Run![0] as object), status: 'paused' }]]
};

const compiled = new Map<string, TypeCheck<TSchema>>();
const files = generateSchemaFiles();
const ajv = new Ajv({ allErrors: true, strict: true });
addFormatsPlugin.default(ajv);
const fromFile = new Map<string, ValidateFunction>();
const contract = (id: string) => {
  const c = contracts.find((x) => x.id === id);
  if (!c) throw new Error(`no contract ${id}`);
  return c;
};

t.test('every contract schema compiles with TypeCompiler and its generated file with ajv (strict)', async (t) => {
  for (const c of contracts) {
    t.doesNotThrow(() => compiled.set(c.id, TypeCompiler.Compile(c.schema)), `${c.id} (TypeBox)`);
    t.doesNotThrow(() => fromFile.set(c.id, ajv.compile(JSON.parse(files.get(`${c.id}.json`)!))), `${c.id}.json (ajv)`);
  }
});

t.test('importing the contracts registers the date-time format that TypeCompiler needs for ts', async (t) => {
  t.ok(contractsRegisterDateTime);
});

t.test('every message contract has valid samples here', async (t) => {
  for (const c of contracts.filter((x) => x.kind === 'server-message' || x.kind === 'client-message')) {
    t.ok(valid[c.id]?.length, `${c.id} has a sample (add one when adding a message)`);
  }
});

t.test('valid samples pass both the TypeBox checker and the generated JSON Schema', async (t) => {
  for (const [id, samples] of Object.entries(valid)) {
    const check = compiled.get(id) ?? TypeCompiler.Compile(contract(id).schema);
    const validate = fromFile.get(id)!;
    samples.forEach((sample, i) => {
      t.ok(check.Check(sample), `${id} #${i} (TypeBox) ${JSON.stringify([...check.Errors(sample)].map((e) => `${e.path} ${e.message}`))}`);
      t.ok(validate(sample), `${id} #${i} (schemas/${id}.json) ${ajv.errorsText(validate.errors)}`);
    });
  }
});

t.test('representative invalid messages are rejected by both', async (t) => {
  for (const [id, cases] of Object.entries(invalid)) {
    const check = compiled.get(id) ?? TypeCompiler.Compile(contract(id).schema);
    const validate = fromFile.get(id)!;
    for (const [why, sample] of cases) {
      t.notOk(check.Check(sample), `${id} rejects ${why} (TypeBox)`);
      t.notOk(validate(sample), `${id} rejects ${why} (schemas/${id}.json)`);
    }
  }
});

t.test('the ServerMessage and ClientMessage unions accept their own direction only', async (t) => {
  const server = compiled.get('ServerMessage')!;
  const client = compiled.get('ClientMessage')!;
  const runEvents = compiled.get('RunEvent')!;
  for (const c of contracts) {
    if (c.kind !== 'server-message' && c.kind !== 'client-message') continue;
    for (const sample of valid[c.id] ?? []) {
      t.equal(server.Check(sample), c.kind === 'server-message', `ServerMessage ${c.kind === 'server-message' ? 'accepts' : 'rejects'} ${c.id}`);
      t.equal(client.Check(sample), c.kind === 'client-message', `ClientMessage ${c.kind === 'client-message' ? 'accepts' : 'rejects'} ${c.id}`);
      t.equal(runEvents.Check(sample), c.id.startsWith('Training') && c.id.endsWith('Event'), `RunEvent on ${c.id}`);
    }
  }
});

t.test('each message contract pins its wire type to the registry messageType', async (t) => {
  for (const c of contracts.filter((x) => x.messageType)) {
    const typeProp = (c.schema as { properties?: { type?: { const?: unknown } } }).properties?.type;
    t.equal(typeProp?.const, c.messageType, `${c.id}.type is "${c.messageType}"`);
  }
});

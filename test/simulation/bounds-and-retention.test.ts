import { access } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { MAX_SIMULATION_EPISODE_MONTHS } from '../../src/contracts/simulation.js';
import { testConfig } from '../helpers/config.js';
import { restBodyError } from '../helpers/schemas.js';
import { seedTrainedModel } from '../models/seed.js';

const dataDir = t.testdir();
const app = await buildApp(testConfig({ dataDir, rateLimitPerMinute: 0, keepSimulationsPerModel: 2, keepReportsPerSimulation: 1 }));
t.teardown(() => app.close());

type Json = Record<string, any>;
const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() as Json, headers: res.headers };
};
const exists = (file: string) => access(file).then(() => true, () => false);

await seedTrainedModel(app, { scenario: 'base', model: 'base-model', episodes: 3 });
await seedTrainedModel(app, { scenario: 'other', model: 'other-model', episodes: 3 });
const base = (await app.storage.scenarios.get('base'))!;
const now = new Date().toISOString();
const store = (name: string, environment: Json) =>
  app.storage.scenarios.insert({ name, description: '', config: { ...base.config, environment: { ...base.config.environment, ...environment } }, created_at: now, updated_at: now });
await store('century', { max_months: 1200 });
// A fixed 100 % monthly return doubles the portfolio every month: past ~1000 months it overflows a double.
await store('overflow', { max_months: 1200, income: 1e9, investment_return_type: 'fixed', investment_return_mean: 1 });

t.test('episodes × months beyond the bound get 400 naming num_episodes and the largest count allowed', async (t) => {
  const res = await req('POST', '/api/simulation/run', { model_name: 'base-model', scenario_name: 'century', num_episodes: 51 });
  t.equal(res.status, 400);
  t.match(res.body.message, /^body\/num_episodes 51 × max_months 1200 .* at most 60000 episode-months; ask for at most 50 episodes/);
  t.equal(MAX_SIMULATION_EPISODE_MONTHS, 60_000);
  t.equal((await req('GET', '/api/simulation/history')).body.total, 0, 'nothing was simulated or stored');
});

t.test('a simulation whose amounts overflow is a 422 naming the value, never a 500, and stores nothing', async (t) => {
  const res = await req('POST', '/api/simulation/run', { model_name: 'base-model', scenario_name: 'overflow', num_episodes: 1, seed: 1 });
  t.equal(res.status, 422);
  t.equal(res.body.code, 'HRL_SIMULATION_NOT_FINITE');
  t.match(res.body.message, /overflowed \(.+ is not a finite number\); lower its amounts, returns or max_months/);
  t.equal((await req('GET', '/api/simulation/history')).body.total, 0);
});

t.test('DELETE removes a simulation with its reports, records and files', async (t) => {
  const sim = (await req('POST', '/api/simulation/run', { model_name: 'other-model', num_episodes: 2, seed: 3 })).body;
  const report = await req('POST', '/api/reports/generate', { simulation_id: sim.simulation_id, report_type: 'html' });
  t.equal(report.status, 201);
  const stored = (await app.storage.reports.get(report.body.report_id))!;
  const file = path.join(dataDir, 'reports', stored.file_name);
  t.ok(await exists(file));
  const del = await req('DELETE', `/api/simulation/results/${sim.simulation_id}`);
  t.equal(del.status, 200);
  t.same(del.body, { message: del.body.message, simulation_id: sim.simulation_id, reports_deleted: 1 });
  t.equal(restBodyError('SimulationDeletedResponse', del.body), null);
  t.equal((await req('GET', `/api/simulation/results/${sim.simulation_id}`)).status, 404);
  t.equal((await req('GET', `/api/reports/${report.body.report_id}/metadata`)).status, 404);
  t.notOk(await exists(file), 'the report file is gone');
  t.equal((await req('DELETE', `/api/simulation/results/${sim.simulation_id}`)).status, 404, 'a second delete is a 404');
});

t.test('DELETE removes one report, record then file', async (t) => {
  const sim = (await req('POST', '/api/simulation/run', { model_name: 'other-model', num_episodes: 2, seed: 4 })).body;
  const report = (await req('POST', '/api/reports/generate', { simulation_id: sim.simulation_id })).body;
  const file = path.join(dataDir, 'reports', (await app.storage.reports.get(report.report_id))!.file_name);
  const del = await req('DELETE', `/api/reports/${report.report_id}`);
  t.equal(del.status, 200);
  t.equal(restBodyError('ReportDeletedResponse', del.body), null);
  t.equal((await req('GET', `/api/reports/${report.report_id}`)).status, 404);
  t.notOk(await exists(file));
  t.equal((await req('DELETE', `/api/reports/${report.report_id}`)).status, 404);
  t.equal((await req('GET', `/api/simulation/results/${sim.simulation_id}`)).status, 200, 'the simulation stays');
});

t.test('retention keeps the newest simulations per model and the newest reports per simulation', async (t) => {
  const ids: string[] = [];
  for (const seed of [10, 11, 12]) ids.push((await req('POST', '/api/simulation/run', { model_name: 'base-model', num_episodes: 1, seed })).body.simulation_id);
  const history = (await req('GET', '/api/simulation/history?model_name=base-model')).body;
  t.same(history.simulations.map((s: Json) => s.simulation_id), [ids[2], ids[1]], 'HRL_KEEP_SIMULATIONS_PER_MODEL=2: the two newest');
  t.equal((await req('GET', `/api/simulation/results/${ids[0]}`)).status, 404);
  t.ok((await req('GET', '/api/simulation/history?model_name=other-model')).body.total >= 1, "another model's simulations are not touched");

  const first = (await req('POST', '/api/reports/generate', { simulation_id: ids[2] })).body;
  const firstFile = path.join(dataDir, 'reports', (await app.storage.reports.get(first.report_id))!.file_name);
  const second = (await req('POST', '/api/reports/generate', { simulation_id: ids[2] })).body;
  const list = (await req('GET', `/api/reports/list?simulation_id=${ids[2]}`)).body;
  t.same(list.reports.map((r: Json) => r.report_id), [second.report_id], 'HRL_KEEP_REPORTS_PER_SIMULATION=1: the newest');
  t.notOk(await exists(firstFile), "the older report's file is gone");
});

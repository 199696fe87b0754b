// A scaled deployment whose trainers are all gone: a gateway keeps a simulation request in
// the queue for HRL_SIMULATION_QUEUE_MS, then answers 503 HRL_NO_TRAINER with Retry-After,
// and leaves nothing stored. Once a trainer is up the same request succeeds.
import t from 'tap';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { freshPostgresDatabase, freshRedisPrefix, requireServices } from '../helpers/services.js';
import { postJson, spawnServer } from '../helpers/spawn-server.js';
import { seedTrainedModel } from '../models/seed.js';

const skip = await requireServices(t, 'redis', 'postgres');
const QUEUE_MS = 1500;

t.test('a simulation with no trainer up waits HRL_SIMULATION_QUEUE_MS, then 503 HRL_NO_TRAINER', { skip }, async (t) => {
  // A trained model to import, made by an embedded app (the gateway cannot train).
  const embedded = await buildApp(testConfig({ dataDir: t.testdir(), rateLimitPerMinute: 0 }));
  t.teardown(() => embedded.close());
  await seedTrainedModel(embedded, { scenario: 'home', model: 'home-model', episodes: 5 });
  const exported = (await embedded.inject({ method: 'GET', url: '/api/models/home-model/export' })).json();
  const scenarioYaml = (await embedded.inject({ method: 'GET', url: '/api/scenarios/home/export' })).body;

  const databaseUrl = await freshPostgresDatabase(t);
  const space = freshRedisPrefix(t);
  const env = (role: string) => ({
    HRL_ROLE: role,
    HRL_DATABASE_URL: databaseUrl,
    HRL_REDIS_URL: space.url,
    HRL_REDIS_PREFIX: space.prefix,
    HRL_SIMULATION_QUEUE_MS: String(QUEUE_MS),
    HRL_WORKERS: '1',
    HRL_RATE_LIMIT: '0',
    HRL_DATA_DIR: t.testdir()
  });
  const gateway = await spawnServer(t, env('gateway'));
  const imported = await fetch(`${gateway.url}/api/scenarios/import?name=home`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: scenarioYaml });
  t.equal(imported.status, 201, 'scenario imported through the gateway');
  t.equal((await postJson(`${gateway.url}/api/models/import?name=home-model`, exported)).status, 201, 'model imported through the gateway');

  const began = Date.now();
  const refused = await fetch(`${gateway.url}/api/simulation/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model_name: 'home-model', num_episodes: 3, seed: 1 })
  });
  const waited = Date.now() - began;
  const body = (await refused.json()) as Record<string, any>;
  t.equal(refused.status, 503, 'no trainer: 503');
  t.equal(body.code, 'HRL_NO_TRAINER');
  t.match(body.message, /HRL_SIMULATION_QUEUE_MS/, 'the message names the setting');
  t.equal(refused.headers.get('retry-after'), '10');
  t.ok(waited >= QUEUE_MS - 50, `the request waited in the queue (${waited} ms ≥ ${QUEUE_MS} ms)`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const stored = async () => Number((await db.query('SELECT count(*) AS n FROM simulations')).rows[0].n);
  t.equal(await stored(), 0, 'nothing was stored for the refused request');

  // A trainer arrives: a new request is served, and the refused one has left nothing behind.
  await spawnServer(t, env('trainer'));
  const served = await postJson(`${gateway.url}/api/simulation/run`, { model_name: 'home-model', num_episodes: 3, seed: 1 });
  t.equal(served.status, 201, 'with a trainer up the simulation runs');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(await stored(), 1, 'exactly one simulation stored: the refused request left nothing behind');
});

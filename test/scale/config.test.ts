// The scale-out settings: parsed, validated, and refused together when they cannot work.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { spawnServer } from '../helpers/spawn-server.js';

const PG = 'postgres://postgres@127.0.0.1:5432/hrl';
const REDIS = 'redis://127.0.0.1:6379';

t.test('absent: the embedded single process, with documented defaults', async (t) => {
  const config = loadConfig({});
  t.equal(config.databaseUrl, '');
  t.equal(config.redisUrl, '');
  t.equal(config.role, 'all');
  t.equal(config.stallMs, 15_000);
  t.equal(config.simulationQueueMs, 30_000);
  t.equal(config.redisPrefix, 'hrl:');
});

t.test('each role with both services is accepted', async (t) => {
  for (const role of ['all', 'gateway', 'trainer'] as const) {
    const config = loadConfig({ HRL_DATABASE_URL: PG, HRL_REDIS_URL: REDIS, HRL_ROLE: role, HRL_STALL_MS: '5000' });
    t.equal(config.role, role);
    t.equal(config.stallMs, 5000);
  }
  t.equal(loadConfig({ HRL_DATABASE_URL: PG }).databaseUrl, PG, 'PostgreSQL alone: one process with in-process bus and workers');
});

t.test('refusals name the variables and never echo a URL (it may hold a password)', async (t) => {
  const refused = (env: Record<string, string>, pattern: RegExp) =>
    t.throws(() => loadConfig(env), { name: 'ConfigError', message: pattern }, JSON.stringify(env));
  refused({ HRL_REDIS_URL: REDIS }, /HRL_REDIS_URL: requires HRL_DATABASE_URL/);
  refused({ HRL_ROLE: 'gateway' }, /HRL_ROLE="gateway": requires HRL_REDIS_URL and HRL_DATABASE_URL/);
  refused({ HRL_ROLE: 'trainer', HRL_DATABASE_URL: PG }, /HRL_ROLE="trainer": requires HRL_REDIS_URL/);
  refused({ HRL_ROLE: 'worker' }, /HRL_ROLE/);
  refused({ HRL_STALL_MS: '10' }, /HRL_STALL_MS=10/);
  refused({ HRL_DATABASE_URL: 'mysql://u:secret@h/db' }, /HRL_DATABASE_URL: scheme mysql: is not postgres: or postgresql:/);
  refused({ HRL_DATABASE_URL: PG, HRL_REDIS_URL: 'not a url' }, /HRL_REDIS_URL: not a URL/);
  try {
    loadConfig({ HRL_DATABASE_URL: 'mysql://u:secret@h/db' });
  } catch (error) {
    t.ok(error instanceof ConfigError);
    t.notMatch((error as Error).message, /secret/);
  }
});

t.test('npm start refuses a role without Redis: one line naming the variables, exit 1', async (t) => {
  await t.rejects(spawnServer(t, { HRL_DATA_DIR: t.testdir(), HRL_ROLE: 'gateway' }), {
    message: /exited with 1 before listening: Invalid configuration HRL_ROLE="gateway": requires HRL_REDIS_URL and HRL_DATABASE_URL/
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { FIXTURES, freePort, importFixture, startApp } from '../client/helpers.js';
import { cli, jsonLines } from './helpers.js';

const EX_UNAVAILABLE = 69;
const WRITER = 'cli-writer-token-1';
const READER = 'cli-reader-token-2';

t.test('a service that cannot be reached is reported once, with its URL, and exit code 69', async (t) => {
  const port = await freePort(); // nothing listens here any more
  const url = `http://127.0.0.1:${port}`;
  for (const args of [['watch', '--run', 'run_x'], ['watch'], ['watch', '--scenario', 'demo'], ['train', '--scenario', 'demo']]) {
    const { code, stdout, stderr } = await cli(t, [...args, '--url', url]).done;
    t.equal(code, EX_UNAVAILABLE, `${args.join(' ')} exits 69`);
    t.equal(stdout, '');
    t.equal(stderr.trim().split('\n').length, 1, 'one line, not a retry per attempt');
    t.match(stderr, `cannot reach the service at ${url}: connection refused`);
    t.notMatch(stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('an unknown host is reported the same way', async (t) => {
  const { code, stderr } = await cli(t, ['watch', '--url', 'http://no-such-host.invalid:8000']).done;
  t.equal(code, EX_UNAVAILABLE);
  t.match(stderr, 'cannot reach the service at http://no-such-host.invalid:8000: unknown host');
});

t.test('a --url that is not a URL is bad usage (64)', async (t) => {
  const { code, stderr } = await cli(t, ['watch', '--url', 'not a url']).done;
  t.equal(code, 64);
  t.match(stderr, '--url "not a url" is not a URL');
});

t.test('an unknown run id exits 1 naming the run, without waiting on the socket', async (t) => {
  const { url } = await startApp(t);
  const { code, stderr } = await cli(t, ['watch', '--run', 'run_does_not_exist', '--url', url]).done;
  t.equal(code, 1);
  t.match(stderr, /run_does_not_exist.*404|404.*run_does_not_exist/);
});

t.test('with tokens on the service', async (t) => {
  const { url } = await startApp(t, { tokens: `${WRITER}:read+write,${READER}:read`, progressHz: 50 });
  const headers = { authorization: `Bearer ${WRITER}` };
  const imported = await fetch(`${url}/api/scenarios/import?name=demo`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/yaml' },
    body: await readFile(path.join(FIXTURES, 'test_scenario.yaml'), 'utf8')
  });
  t.equal(imported.status, 201);

  t.test('no token: 401 is reported with a hint and exit 1', async (t) => {
    const { code, stderr } = await cli(t, ['watch', '--url', url]).done;
    t.equal(code, 1);
    t.match(stderr, /401.*pass --token or set HRL_TOKEN/);
  });

  t.test('--token is sent on REST and on the socket', async (t) => {
    const { code, stdout } = await cli(t, ['train', '--scenario', 'demo', '--episodes', '2', '--url', url, '--token', WRITER, '--json']).done;
    t.equal(code, 0);
    t.equal(jsonLines(stdout).at(-1)!.type, 'training_completed');
  });

  t.test('HRL_TOKEN is used when --token is absent', async (t) => {
    const started = await fetch(`${url}/api/training/start`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ scenario_name: 'demo', num_episodes: 2, eval_episodes: 0 })
    });
    t.equal(started.status, 202);
    const runId = ((await started.json()) as { data: { run_id: string } }).data.run_id;
    const { code, stdout } = await cli(t, ['watch', '--run', runId, '--url', url, '--json'], { HRL_TOKEN: READER }).done;
    t.equal(code, 0);
    t.equal(jsonLines(stdout).at(-1)!.type, 'training_completed');
  });

  t.test('a read-only token cannot start a run: 403 with a hint', async (t) => {
    const { code, stderr } = await cli(t, ['train', '--scenario', 'demo', '--url', url], { HRL_TOKEN: READER }).done;
    t.equal(code, 1);
    t.match(stderr, /403.*token with the needed scope/);
  });
});

t.test('piped (not a terminal) output names the run on every line, never a template placeholder', async (t) => {
  const { url } = await startApp(t, { progressHz: 50 });
  await importFixture(url, 'demo');
  const { code, stderr } = await cli(t, ['train', '--scenario', 'demo', '--episodes', '3', '--seed', '1', '--url', url]).done;
  t.equal(code, 0);
  const runId = /started run (run_\S+)/.exec(stderr)?.[1];
  t.ok(runId, stderr);
  t.notMatch(stderr, /\{\w+\}/, 'no unfilled {placeholder}');
  t.match(stderr, `run ${runId} (demo) started: 3 episodes, seed 1`);
  t.match(stderr, `run ${runId}: 3/3 episodes`);
  t.match(stderr, `run ${runId} completed: 3 episodes`);
});

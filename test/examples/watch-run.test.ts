import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { ROOT, freePort, importFixture, startApp, startRun } from '../client/helpers.js';

const EXAMPLE = path.join(ROOT, 'examples/watch-run.mjs');

/** Runs the example as a user would (plain node, no loader), with its output piped. */
async function runExample(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [EXAMPLE, ...args], { cwd: ROOT, env: { ...process.env, HRL_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number, stdout, stderr };
}

t.test('the README shows examples/watch-run.mjs exactly as it is in the repository', async (t) => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const file = await readFile(EXAMPLE, 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  t.ok(blocks.includes(file), 'a ```js block of README.md equals the file');
});

t.test('against a real server', async (t) => {
  const { url } = await startApp(t, { progressHz: 50 });
  const wsUrl = `${url.replace('http', 'ws')}/ws`;
  await importFixture(url, 'demo');

  t.test('follows a run to training_completed, every event once in seq order, exit 0', async (t) => {
    const runId = await startRun(url, { scenario_name: 'demo', num_episodes: 5, eval_episodes: 0, seed: 2 });
    const { code, stdout, stderr } = await runExample([runId, wsUrl]);
    t.equal(code, 0, stderr);
    const seqs = stdout.trim().split('\n').map((line) => Number(line.split(' ')[0]));
    t.same(seqs, seqs.map((_, i) => i + 1));
    t.match(stdout.trim().split('\n').at(-1), /^\d+ training_completed 5$/);
  });

  t.test('a wrong run id shows the server error frame and exits 1 instead of hanging', async (t) => {
    const { code, stderr } = await runExample(['run_no_such_run', wsUrl]);
    t.equal(code, 1);
    t.match(stderr, 'server error unknown_run: unknown run_id "run_no_such_run"');
  });

  t.test('a wrong path is refused at the upgrade and shown with its HTTP status', async (t) => {
    const { code, stderr } = await runExample(['run_x', `${url.replace('http', 'ws')}/wrong`]);
    t.equal(code, 1);
    t.match(stderr, /refused the WebSocket: HTTP 404/);
  });
});

t.test('a bad token is shown as the 401 of the upgrade', async (t) => {
  const { url } = await startApp(t, { tokens: 'example-token-123:read' });
  const { code, stderr } = await runExample(['run_x', `${url.replace('http', 'ws')}/ws`], { HRL_TOKEN: 'wrong-token-456' });
  t.equal(code, 1);
  t.match(stderr, /refused the WebSocket: HTTP 401/);
});

t.test('a port where nothing listens is reported at once with exit 69', async (t) => {
  const port = await freePort();
  const { code, stderr } = await runExample(['run_x', `ws://127.0.0.1:${port}/ws`]);
  t.equal(code, 69);
  t.match(stderr, `cannot connect to ws://127.0.0.1:${port}/ws: ECONNREFUSED`);
});

import { spawnSync } from 'node:child_process';
import { mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../client/helpers.js';

// A user's own project: a package outside this repository that installs it by a `file:`
// link (a tarball would rebuild the native SQLite module) and runs its own tap test on
// `hrl-finance/testing`, type-checked against the built .d.ts. Only the test tools (tap,
// TypeScript) are borrowed from this repository's node_modules instead of downloaded.

// Building dist/ with tsc takes a minute or more on a loaded 2-core machine: more than
// .taprc's per-file timeout leaves (the root test tells the runner).
t.setTimeout(360_000);

const CONSUMER_TEST = `import t from 'tap';
import { startTestServer } from 'hrl-finance/testing';

t.test('a run of a template scenario completes', async (t) => {
  t.match(import.meta.resolve('hrl-finance/testing'), /\\/dist\\/testing\\/index\\.js$/, 'the built package, not the sources');
  const { rest, client, url } = await startTestServer(t, { tokens: { 'consumer-token-1': 'read+write' } });
  t.equal((await fetch(url + '/api/scenarios')).status, 401, 'the tokens are in force');
  const { templates } = await rest.listTemplates();
  const { environment, training, reward } = templates.find((x) => x.name === 'balanced');
  await rest.createScenario({ name: 'mine', environment, training, reward });
  const { data } = await rest.startTraining({ scenario_name: 'mine', num_episodes: 2, eval_episodes: 0 });
  const types = [];
  for await (const event of client.run(data.run_id)) types.push(event.type);
  t.equal(types[0], 'training_started');
  t.equal(types.at(-1), 'training_completed');
});
`;

const CONSUMER_TYPES = `import { startTestServer, type TestServer } from 'hrl-finance/testing';
import type { RunEvent } from 'hrl-finance/client';

declare const t: { teardown(fn: () => unknown): void };
const server: TestServer = await startTestServer(t, { tokens: { 'reader-token-1': 'read' }, config: { progressHz: 50 } });
const first: RunEvent | undefined = undefined;
export const url: string = server.url;
export { first };
// @ts-expect-error the scopes are typed: there is no 'admin'
await startTestServer(t, { tokens: { 'admin-token-1': 'admin' } });
`;

const TSCONFIG = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true }, include: ['types-check.ts'] };

/** The environment of a user's shell: without this test runner's own settings (TAP_*, node options). */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TAP|_TAPJS|NODE_OPTIONS$|NODE_V8_COVERAGE$)/i.test(key)));

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: userEnv });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

t.test('a separate package installs this repository and uses hrl-finance/testing in its own tap test', async (t) => {
  // `npm install` here ran prepare; in a working tree dist/ may be older than src/ (cheap when fresh).
  const prepared = run(process.execPath, ['scripts/start.mjs', '--prepare'], ROOT);
  t.equal(prepared.code, 0, 'dist/ is built') || t.comment(prepared.output);

  const dir = await mkdtemp(path.join(tmpdir(), 'hrl-consumer-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', devDependencies: { 'hrl-finance': `file:${ROOT}` } }, null, 2)
  );
  const installed = run('npm', ['install', '--offline', '--no-audit', '--no-fund'], dir);
  t.equal(installed.code, 0, 'npm install in the user\'s package succeeds') || t.comment(installed.output);
  t.equal(path.resolve(dir, 'node_modules', await readlink(path.join(dir, 'node_modules/hrl-finance'))), path.resolve(ROOT), 'installed as a file: link');
  for (const tool of ['tap', 'typescript']) await symlink(path.join(ROOT, 'node_modules', tool), path.join(dir, 'node_modules', tool));

  await writeFile(path.join(dir, 'consumer.test.mjs'), CONSUMER_TEST);
  await writeFile(path.join(dir, 'types-check.ts'), CONSUMER_TYPES);
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));

  const typed = run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
  t.equal(typed.code, 0, 'the user\'s TypeScript type-checks against the built .d.ts') || t.comment(typed.output);

  const tested = run(process.execPath, [path.join(dir, 'node_modules/tap/dist/esm/run.mjs'), '--disable-coverage', 'consumer.test.mjs'], dir);
  t.equal(tested.code, 0, 'the user\'s tap test passes') || t.comment(tested.output);
  t.match(tested.output, /^ok 1 - consumer\.test\.mjs/m, 'and it ran');
});

import { existsSync } from 'node:fs';
import t from 'tap';
import { HttpError } from '../../src/client/index.js';
import { startTestServer } from '../../src/testing/index.js';

t.test('startTestServer gives a real service with typed clients, gone after the test', async (t) => {
  let dataDir = '';
  await t.test('a run started over REST is followed to its end over the socket', async (t) => {
    const server = await startTestServer(t, { config: { progressHz: 50 } });
    dataDir = server.dataDir;
    t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.equal(server.wsUrl, `${server.url.replace('http', 'ws')}/ws`);
    t.equal((await server.rest.health()).status, 'ok');
    const { templates } = await server.rest.listTemplates();
    const { environment, training, reward } = templates.find((x) => x.name === 'balanced')!;
    await server.rest.createScenario({ name: 'mine', environment, training, reward });
    const { data } = await server.rest.startTraining({ scenario_name: 'mine', num_episodes: 3, eval_episodes: 0, seed: 1 });
    const types: string[] = [];
    for await (const event of server.client.run(data.run_id)) types.push(event.type);
    t.equal(types[0], 'training_started');
    t.equal(types.at(-1), 'training_completed');
    t.ok(existsSync(dataDir), 'the data directory exists while the test runs');
  });
  t.notOk(existsSync(dataDir), 'the subtest\'s teardown closed the service and removed its data directory');
});

t.test('with tokens, the clients use the read+write one and others are refused', async (t) => {
  const server = await startTestServer(t, { tokens: { 'reader-token-1': 'read', 'writer-token-1': 'read+write' } });
  const { templates } = await server.rest.listTemplates();
  const { environment } = templates[0];
  t.equal((await server.rest.createScenario({ name: 'x', environment })).name, 'x', 'a write with the read+write token');
  const anonymous = await fetch(`${server.url}/api/scenarios`);
  t.equal(anonymous.status, 401);
  const readerOnly = await startTestServer(t, { tokens: { 'reader-token-2': 'read' } });
  const refused = await readerOnly.rest.createScenario({ name: 'y', environment }).then(() => null, (error: unknown) => error);
  t.ok(refused instanceof HttpError && refused.status === 403, 'the only token is read-only: writes get 403');
  t.equal((await readerOnly.rest.listScenarios()).total, 0, 'reads work with it');
});

t.test('close() can be called early and again', async (t) => {
  const server = await startTestServer(t);
  await server.close();
  await server.close();
  t.notOk(existsSync(server.dataDir));
  await t.rejects(fetch(`${server.url}/health`), 'nothing listens any more');
});

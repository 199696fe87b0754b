import t from 'tap';
import { importFixture, startApp } from '../client/helpers.js';
import { cli, jsonLines } from './helpers.js';

t.test('the train command against an in-process server', async (t) => {
  const { url } = await startApp(t, { progressHz: 50 });
  await importFixture(url, 'demo');

  t.test('train --json starts a run, prints its events as JSON lines and exits 0 on training_completed', async (t) => {
    const { code, stdout } = await cli(t, ['train', '--scenario', 'demo', '--episodes', '3', '--seed', '1', '--url', url, '--json']).done;
    t.equal(code, 0);
    const events = jsonLines(stdout);
    t.equal(events[0].type, 'training_started');
    t.equal(events.at(-1)!.type, 'training_completed');
    t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'every event once, in seq order');
  });

  t.test('bad usage exits 64 with the usage text', async (t) => {
    const { code, stderr } = await cli(t, ['watch', '--run', 'a', '--scenario', 'b', '--url', url]).done;
    t.equal(code, 64);
    t.match(stderr, /not both/);
  });
});

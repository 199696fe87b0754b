// bench:scale's publisher child: publishes training_progress at a fixed rate when told to
// (IPC), either as the embedded single process (it is then the server too: buildApp from the
// environment, listening on PORT) or into the scaled deployment's Redis bus, as a trainer does.
//   node --import tsx bench/scale-publisher.ts embedded|redis   (settings from HRL_* variables)
import { buildApp } from '../src/app.js';
import { RedisEventBus } from '../src/bus/redis-bus.js';
import type { EventBus } from '../src/bus/event-bus.js';
import { loadConfig } from '../src/config.js';
import { openPostgresStorage } from '../src/storage/index.js';
import { nowMs, progressData } from './fanout/common.js';

const mode = process.argv[2];
const config = loadConfig();
let bus: EventBus;
let url = '';
if (mode === 'embedded') {
  const app = await buildApp({ ...config, logLevel: 'warn' });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  bus = app.bus;
} else {
  const storage = await openPostgresStorage(config.databaseUrl);
  const redisBus = new RedisEventBus({ store: storage.events, url: config.redisUrl, keyPrefix: config.redisPrefix });
  await redisBus.ready();
  bus = redisBus;
}
process.send!({ kind: 'ready', url });

process.on('message', async (m: { cmd: 'publish'; run: string; scenario: string; seconds: number; hz: number }) => {
  const total = Math.round(m.seconds * m.hz);
  const t0 = Date.now();
  const published: Array<Promise<unknown>> = [];
  for (let episode = 1; episode <= total; episode++) {
    // Paced against the start; not awaited one by one (as the training service publishes
    // progress), so a slow database commit batches events instead of lowering the rate.
    const wait = t0 + (episode * 1000) / m.hz - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    published.push(bus.publish({ run_id: m.run, scenario_name: m.scenario, type: 'training_progress', data: progressData(episode, nowMs()) }));
  }
  await Promise.all(published);
  process.send!({ kind: 'done', published: total });
});

/**
 * Per-event cost of the hrl-finance bus with no client connected (validation, serialization,
 * SQLite persistence, replay window): the part of a broadcast that does not scale with clients.
 * Usage: node --import tsx bench/fanout/per-event.ts  (add --cpu-prof to see where it goes)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { progressData, nowMs } from './common.js';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fanout-per-event-'));
const app = await buildApp(loadConfig({}, { dataDir: dataDir, workers: 1, logLevel: 'error' }));
let ep = 0;
for (const burst of [1, 4, 16]) {
  for (let rep = 0; rep < 2; rep++) {
    const c0 = process.cpuUsage(); const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < 2000) {
      const ps = []; for (let i = 0; i < burst; i++) ps.push(app.bus.publish({ run_id: 'r', scenario_name: 's', type: 'training_progress', data: progressData(++ep, nowMs()) }));
      await Promise.all(ps); n += burst;
      await new Promise((r) => setImmediate(r));
    }
    const c = process.cpuUsage(c0);
    console.log(`burst ${burst}: ${((c.user + c.system) / n).toFixed(1)} µs CPU/event, ${(n / 2).toFixed(0)} events/s wall`);
  }
}
await app.close();
rmSync(dataDir, { recursive: true, force: true });

import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { testConfig } from './config.js';
import { TestClient } from './ws-client.js';

import type { Test } from 'tap';

type Tap = Pick<Test, 'testdir' | 'teardown'>;

export interface TestServer {
  app: FastifyInstance;
  url: string;
  wsUrl: string;
  dataDir: string;
  connect(): Promise<TestClient>;
}

/** A real server on 127.0.0.1:0 with its own database file, closed at teardown. */
export async function startServer(t: Tap, overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? t.testdir();
  const app = await buildApp(testConfig({ ...overrides, dataDir }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const clients: TestClient[] = [];
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app.close();
  });
  return {
    app,
    dataDir,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async connect() {
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      clients.push(client);
      return client;
    }
  };
}

export const fixture = (name: string) => readFileSync(new URL(`../../examples/scenarios/${name}.yaml`, import.meta.url), 'utf8');

/** Imports a fixture scenario under `name` over REST. */
export async function importScenario(app: FastifyInstance, fixtureName: string, name: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/scenarios/import?name=${encodeURIComponent(name)}`,
    headers: { 'content-type': 'application/yaml' },
    payload: fixture(fixtureName)
  });
  if (res.statusCode !== 201) throw new Error(`import failed: ${res.statusCode} ${res.body}`);
}

/** Starts a run over REST and returns the 202 body's data. */
export async function startRun(app: FastifyInstance, body: Record<string, unknown>): Promise<{ run_id: string; status: string; seed: number }> {
  const res = await app.inject({ method: 'POST', url: '/api/training/start', payload: body });
  if (res.statusCode !== 202) throw new Error(`start failed: ${res.statusCode} ${res.body}`);
  return res.json().data;
}

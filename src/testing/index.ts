// `hrl-finance/testing`: the real service for a downstream test suite. It listens on a
// free loopback port with a fresh data directory, and everything is torn down with the
// test that started it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../app.js';
import { HrlClient, RestClient } from '../client/index.js';
import { loadConfig, type Config } from '../config.js';

/** What a test framework offers to run code when a test ends: tap's `t.teardown`, node:test's `t.after`. */
export type TestContext = { teardown(fn: () => unknown): void } | { after(fn: () => unknown): void };

export type TokenScopes = 'read' | 'write' | 'read+write';

export interface TestServerOptions {
  /**
   * Bearer tokens the service accepts, with their scopes (tokens of 8+ characters), e.g.
   * `{ 'reader-token-1': 'read', 'admin-token-1': 'read+write' }`. Absent: an open service.
   */
  tokens?: Record<string, TokenScopes>;
  /** The token `client` and `rest` send; default: the first `read+write` token, else the first. */
  token?: string;
  /** Any other service setting (see the README's configuration table), e.g. `{ progressHz: 50 }`. */
  config?: Partial<Omit<Config, 'port' | 'host' | 'dataDir' | 'tokens' | 'tokensFile'>>;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>/ws` */
  wsUrl: string;
  /** The typed WebSocket client, already pointed at this server (connects on first use). */
  client: HrlClient;
  /** The typed REST client. */
  rest: RestClient;
  /** The temporary data directory (database and reports), removed on close. */
  dataDir: string;
  /** Closes the client, the service and removes the data directory; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the real service (worker threads, SQLite, WebSocket gateway) for one test and
 * registers its shutdown with the test, so nothing outlives it.
 *
 * ```ts
 * import t from 'tap';
 * import { startTestServer } from 'hrl-finance/testing';
 *
 * t.test('my dashboard sees a run complete', async (t) => {
 *   const { rest, client } = await startTestServer(t);
 *   ...
 * });
 * ```
 */
export async function startTestServer(t: TestContext, options: TestServerOptions = {}): Promise<TestServer> {
  const tokens = Object.entries(options.tokens ?? {});
  const token = options.token ?? (tokens.find(([, scopes]) => scopes === 'read+write') ?? tokens[0])?.[0];
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hrl-finance-test-'));
  let closed: Promise<void> | undefined;
  let release = async (): Promise<void> => rm(dataDir, { recursive: true, force: true });
  const close = (): Promise<void> => (closed ??= release());
  onTeardown(t, close);

  // The settings come from the options only, never from the caller's environment.
  const config = loadConfig(
    {},
    {
      // A test machine is often loaded: the overload guard and REST rate limit stay off
      // unless the test turns them on, and one worker thread is enough.
      workers: 1,
      logLevel: 'silent',
      maxEventLoopDelayMs: 0,
      rateLimitPerMinute: 0,
      ...options.config,
      port: 0,
      host: '127.0.0.1',
      dataDir,
      tokens: tokens.map(([value, scopes]) => `${value}:${scopes}`).join(',')
    }
  );
  const app = await buildApp(config);
  release = async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const client = new HrlClient({ url, token });
  release = async () => {
    await client.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { url, wsUrl: `ws://127.0.0.1:${address.port}/ws`, client, rest: new RestClient({ url, token }), dataDir, close };
}

function onTeardown(t: TestContext, fn: () => Promise<void>): void {
  if ('teardown' in t) t.teardown(fn);
  else t.after(fn);
}

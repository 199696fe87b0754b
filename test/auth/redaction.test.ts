import t from 'tap';
import { once } from 'node:events';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';
import { redactUrl } from '../../src/http/redact-url.js';
import { testConfig } from '../helpers/config.js';
import { tryUpgrade } from '../http/helpers.js';

const SECRET = 'Secret/Token+Value-0042';

t.test('a query token is never logged, however its name is spelled or encoded, on any path', async (t) => {
  const logs: string[] = [];
  const app = await buildApp(testConfig({ dataDir: t.testdir(), logLevel: 'trace', tokens: `${SECRET}:read` }), {
    logStream: { write: (line: string) => void logs.push(line) }
  });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const base = `ws://127.0.0.1:${port}`;
  const value = encodeURIComponent(SECRET);

  // Percent-encoding the name still authenticates, which is why the log must decode it too.
  const ws = new WebSocket(`${base}/ws?%74oken=${value}`);
  const [frame] = await once(ws, 'message');
  t.equal(JSON.parse(String(frame)).type, 'connection_established', '?%74oken= authenticates');
  ws.close();
  await once(ws, 'close');

  const spellings = [`token=${value}`, `%74oken=${value}`, `%74%6F%6B%65%6E=${value}`, `TOKEN=${value}`, `tok%65n=${value}`, `a=1&%74oken=${value}&b=2`, `%E0%A4%A=${value}`, `token=${SECRET}`];
  for (const query of spellings) {
    await tryUpgrade(`${base}/ws?${query}`);
    await tryUpgrade(`${base}/health?${query}`); // an upgrade to another path
    await app.inject({ method: 'GET', url: `/api/training/runs?${query}` });
  }
  const text = logs.join('');
  t.ok(logs.length > spellings.length * 3, `${logs.length} log lines written`);
  t.match(text, /%74oken=\[redacted\]/, 'the encoded name is kept, its value is not');
  for (const leak of [SECRET, value, 'Secret']) t.notOk(text.includes(leak), `${leak} is not in the log`);
});

t.test('redactUrl leaves other parameters alone', async (t) => {
  t.equal(redactUrl('/api/training/runs?limit=5&offset=10'), '/api/training/runs?limit=5&offset=10');
  t.equal(redactUrl('/ws?tokens=1&token=abc&mytoken=2'), '/ws?tokens=1&token=[redacted]&mytoken=2');
  t.equal(redactUrl('/ws?token'), '/ws?token=[redacted]', 'a bare name hides nothing but is marked');
  t.equal(redactUrl('/ws'), '/ws');
});

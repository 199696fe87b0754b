import t from 'tap';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../helpers/app.js';

const open = async (url: string, t: { teardown(fn: () => void): void }): Promise<Socket> => {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
};

const received = (socket: Socket) => {
  let data = '';
  socket.on('data', (d) => (data += d));
  return () => data;
};

t.test('a client trickling its headers is answered 408 and disconnected once the headers timeout passes', async (t) => {
  const server = await startServer(t, { httpHeadersTimeoutMs: 500, httpRequestTimeoutMs: 1000 });
  const socket = await open(server.url, t);
  const data = received(socket);
  const started = Date.now();
  socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  // One header byte every 50 ms: each write is "activity", so only a whole-headers deadline stops it.
  const trickle = setInterval(() => socket.writable && socket.write('X'), 50);
  t.teardown(() => clearInterval(trickle));
  await once(socket, 'close');
  clearInterval(trickle);
  const heldMs = Date.now() - started;
  t.match(data(), /^HTTP\/1\.1 408/, 'the server says why');
  t.ok(heldMs < 5000, `the socket was held ${heldMs} ms (headers timeout 500 ms, checked every 500 ms)`);
});

t.test('a request whose body trickles in is cut off at the request timeout', async (t) => {
  const server = await startServer(t, { httpHeadersTimeoutMs: 300, httpRequestTimeoutMs: 600 });
  const socket = await open(server.url, t);
  const data = received(socket);
  socket.write('POST /api/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
  const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
  t.teardown(() => clearInterval(trickle));
  const started = Date.now();
  await once(socket, 'close');
  clearInterval(trickle);
  t.match(data(), /^HTTP\/1\.1 408/);
  t.ok(Date.now() - started < 5000);
});

t.test('connections beyond the total cap are dropped at accept, and a freed slot is usable again', async (t) => {
  const server = await startServer(t, { maxConnections: 1, httpMaxConnections: 3 });
  const held = await Promise.all([1, 2, 3].map(() => open(server.url, t)));
  const extra = await open(server.url, t);
  const data = received(extra);
  await once(extra, 'close');
  t.equal(data(), '', 'the fourth connection got no byte: it was closed at accept');
  held[0].destroy();
  while (await new Promise<number>((r) => server.app.server.getConnections((_, n) => r(n))) >= 3) await new Promise((r) => setTimeout(r, 10));
  const res = await fetch(`${server.url}/health`);
  t.equal(res.status, 200);
});

t.test('the total connection cap must exceed the WebSocket cap, and the headers timeout the request timeout at most', async (t) => {
  t.throws(() => loadConfig({ HRL_MAX_CONNECTIONS: '500', HRL_HTTP_MAX_CONNECTIONS: '500' }), /HRL_HTTP_MAX_CONNECTIONS=500: must exceed HRL_MAX_CONNECTIONS=500/);
  t.throws(() => loadConfig({ HRL_HTTP_HEADERS_TIMEOUT_MS: '5000', HRL_HTTP_REQUEST_TIMEOUT_MS: '1000' }), /HRL_HTTP_HEADERS_TIMEOUT_MS=5000: must not exceed HRL_HTTP_REQUEST_TIMEOUT_MS=1000/);
});

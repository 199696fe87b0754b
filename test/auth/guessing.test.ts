import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { clientKey, FailureLimiter } from '../../src/auth/failure-limit.js';
import { testConfig } from '../helpers/config.js';
import { tryUpgrade } from '../http/helpers.js';

const TOKEN = 'reader-writer-token-1';
const LIMIT = 5;

async function server(t: Test) {
  const app = await buildApp(testConfig({ dataDir: t.testdir(), tokens: `${TOKEN}:read+write`, authFailuresPerMinute: LIMIT }));
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const get = (token: string | null, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url: '/api/training/runs', remoteAddress, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { app, get, wsUrl: `ws://127.0.0.1:${port}/ws` };
}


t.test('REST: after the limit of unknown tokens an address gets 429 with Retry-After, even with the right token', async (t) => {
  const { get } = await server(t);
  for (let i = 0; i < LIMIT; i++) t.equal((await get(`guess-${i}-xxxxxxxx`)).statusCode, 401, `guess ${i + 1}`);
  const blocked = await get('guess-next-xxxxxxxx');
  t.equal(blocked.statusCode, 429);
  t.ok(Number(blocked.headers['retry-after']) > 0 && Number(blocked.headers['retry-after']) <= 60, `Retry-After: ${blocked.headers['retry-after']}`);
  t.match(blocked.json(), { code: 'HRL_AUTH_RATE_LIMITED', message: /more than 5 failed authentications from this address within a minute; retry in \d+ s/ });
  t.equal((await get(TOKEN)).statusCode, 429, 'a right guess is not told apart from a wrong one');
  t.equal((await get(TOKEN, '10.9.8.7')).statusCode, 200, 'another address is not affected');
  t.equal((await get('wrong-but-elsewhere', '10.9.8.7')).statusCode, 401);
});

t.test('/ws: unknown tokens on the upgrade count too, and REST failures block the upgrade', async (t) => {
  const { get, wsUrl } = await server(t);
  for (let i = 0; i < LIMIT - 1; i++) t.equal((await tryUpgrade(`${wsUrl}?token=guess-${i}-xxxxxxxx`)).status, 401, `upgrade guess ${i + 1}`);
  t.equal((await get('one-more-rest-guess')).statusCode, 401, 'the last guess of the budget, over REST');
  const refused = await tryUpgrade(`${wsUrl}?token=${TOKEN}`);
  t.equal(refused.status, 429, 'the upgrade is refused before the token is checked');
  t.equal(refused.frames, 0);
  t.match(JSON.parse(refused.body), { code: 'HRL_AUTH_RATE_LIMITED' });
  t.equal((await tryUpgrade(wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 429);
});

t.test('requests without any token are answered 401 but are not guesses', async (t) => {
  const { get } = await server(t);
  for (let i = 0; i < LIMIT * 3; i++) t.equal((await get(null)).statusCode, 401);
  t.equal((await get(TOKEN)).statusCode, 200, 'a dashboard that has not been given its token yet is not locked out');
});

t.test('IPv6 clients are counted per /64, so rotating addresses buys no guesses', async (t) => {
  const { get } = await server(t);
  for (let i = 0; i < LIMIT; i++) t.equal((await get(`guess-${i}-xxxxxxxx`, `2001:db8:1:2::${i + 1}`)).statusCode, 401);
  t.equal((await get('guess-yyyyyyyy', '2001:db8:1:2:ffff:ffff:ffff:1')).statusCode, 429, 'another address in the same /64');
  t.equal((await get(TOKEN, '2001:db8:1:3::1')).statusCode, 200, 'the next /64 is another client');
});

t.test('the counter forgets after its window and holds a bounded number of clients', async (t) => {
  const limiter = new FailureLimiter(2, 1000, 3);
  limiter.fail('a', 0);
  limiter.fail('a', 10);
  t.ok(limiter.blockedFor('a', 500) > 0, 'blocked within the window');
  t.equal(limiter.blockedFor('a', 1000), 0, 'free once the window has passed');
  for (const key of ['b', 'c', 'd', 'e']) limiter.fail(key, 2000);
  t.equal(limiter.size, 3, 'the oldest client is dropped beyond the cap');
  t.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7', 'IPv4-mapped addresses count as IPv4');
  t.equal(clientKey('2001:0db8:0001:0002:0:0:0:9'), clientKey('2001:db8:1:2::1'));
  t.equal(clientKey('::1'), '0:0:0:0::/64');
});

t.test('unknown paths and HEAD requests are checked as well', async (t) => {
  const { app } = await server(t);
  t.equal((await app.inject({ method: 'GET', url: '/api/nowhere' })).statusCode, 401);
  t.equal((await app.inject({ method: 'HEAD', url: '/api/training/runs' })).statusCode, 401);
  t.equal((await app.inject({ method: 'HEAD', url: '/api/training/runs', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'public routes stay public');
});

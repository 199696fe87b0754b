// Regression (limits issue, items 3 and 18): YAML import was quadratic in the number of
// keys and read any body size and text/plain; config keys named like Object.prototype
// members were silently ignored. Each class is tried over a real server.
import { Readable } from 'node:stream';
import t from 'tap';
import { startServer, fixture } from '../helpers/app.js';
import { YAML_CONTENT_TYPES, YAML_LIMITS } from '../../src/scenarios/yaml-import.js';

const server = await startServer(t);

const post = async (path: string, body: string | ReadableStream | undefined, contentType?: string, extra: RequestInit = {}) => {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body, ...extra });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : { raw: text }) as Record<string, any> };
};
const importYaml = (text: string, name?: string, contentType = 'application/yaml') =>
  post(`/api/scenarios/import${name ? `?name=${name}` : ''}`, text, contentType);
const stored = async (name: string) => (await fetch(`${server.url}/api/scenarios/${name}`)).status === 200;

t.test('content types', async (t) => {
  for (const type of YAML_CONTENT_TYPES) {
    t.test(`accepts ${type}`, async (t) => {
      const name = `ct-${type.replace(/\W/g, '-')}`;
      t.equal((await importYaml(fixture('balanced'), name, `${type}; charset=utf-8`)).status, 201);
    });
  }
  for (const [what, type] of [['text/plain', 'text/plain'], ['JSON', 'application/json'], ['form data', 'application/x-www-form-urlencoded'], ['no content type', undefined]] as const) {
    t.test(`refuses ${what} with 415 naming the accepted types, and stores nothing`, async (t) => {
      const res = await post('/api/scenarios/import?name=plain-text', fixture('balanced'), type);
      t.equal(res.status, 415);
      // text/plain, forms and missing types meet the service-wide write guard first; JSON meets the route's check.
      t.match(res.body.message, /application\/yaml/);
      if (type === 'application/json') t.match(res.body.message, /content-type must be one of application\/yaml, application\/x-yaml, text\/yaml/);
      t.notOk(await stored('plain-text'));
    });
  }
});

t.test('body size', async (t) => {
  const big = `description: "${'x'.repeat(YAML_LIMITS.bytes)}"\n`;
  t.test('refuses a declared length over the limit with 413 naming it', async (t) => {
    const res = await importYaml(big, 'too-big');
    t.equal(res.status, 413);
    t.match(res.body.message, `at most ${YAML_LIMITS.bytes} bytes`);
  });
  t.test('refuses a chunked body that grows past the limit with 413', async (t) => {
    const chunks = Readable.from(Array.from({ length: 40 }, () => Buffer.alloc(4096, 'a')));
    const res = await post('/api/scenarios/import?name=too-big-chunked', Readable.toWeb(chunks) as ReadableStream, 'application/yaml', { duplex: 'half' } as RequestInit);
    t.equal(res.status, 413);
    t.match(res.body.message, `at most ${YAML_LIMITS.bytes} bytes`);
    t.notOk(await stored('too-big-chunked'));
  });
  t.test('accepts a file just under the limit made of one long description (few tokens)', async (t) => {
    const res = await importYaml(`description: "${'d'.repeat(400)}"\nenvironment:\n  income: 2000\n# ${'c'.repeat(YAML_LIMITS.bytes - 600)}\n`, 'long-comment');
    t.equal(res.status, 201, JSON.stringify(res.body).slice(0, 200));
  });
});

t.test('document shape', async (t) => {
  const manyKeys = (n: number, indent = '') => Array.from({ length: n }, (_, i) => `${indent}k${i}: ${i}`).join('\n');
  const cases: Array<[string, string, RegExp]> = [
    ['a full body of top-level keys (the quadratic duplicate scan)', manyKeys(6000).slice(0, YAML_LIMITS.bytes - 10), /more than 512 YAML tokens/],
    ['many keys inside a block', `environment:\n${manyKeys(600, '  ')}`, /more than 512 YAML tokens/],
    ['more keys than a scenario can have', `environment: {${Array.from({ length: YAML_LIMITS.keys + 1 }, (_, i) => `k${i}`).join(',')}}`, /more than 64 keys/],
    ['a flow mapping of thousands of keys', `{${Array.from({ length: 5000 }, (_, i) => `k${i}: 1`).join(', ')}}`.slice(0, YAML_LIMITS.bytes - 10), /more than 512 YAML tokens/],
    ['deeply nested flow collections', `${'['.repeat(500)}${']'.repeat(500)}`, /deeper than 4 levels/],
    ['deeply nested block mappings', Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}a${i}:`).join('\n'), /deeper than 4 levels/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n`, /anchored content/],
    ['a duplicated key', 'environment:\n  income: 1000\n  income: 900000\n', /environment\.income more than once/],
    ['a mapping as a key', '? {a: 1}\n: 2\n', /keys must be plain names/],
    ['broken YAML', 'environment: [unclosed', /must be valid YAML/]
  ];
  for (const [what, text, message] of cases) {
    t.test(`refuses ${what} with 400 naming the bound`, async (t) => {
      const res = await importYaml(text, 'shape');
      t.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
      t.match(res.body.message, message);
      t.notOk(await stored('shape'));
    });
  }
  t.test('the service answers /health after the refusals', async (t) => {
    t.equal((await fetch(`${server.url}/health`)).status, 200);
  });
});

t.test('keys named like Object.prototype members', async (t) => {
  for (const block of ['environment', 'training', 'reward']) {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      t.test(`refuses ${block}.${key} in YAML, as the JSON route does`, async (t) => {
        const value = key === '__proto__' ? '{income: 1}' : '5';
        const res = await importYaml(`${block}:\n  ${key}: ${value}\n`, 'proto-yaml');
        t.equal(res.status, 400);
        t.match(res.body.message, `${block}.${key} is not a known field`);
        t.notOk(await stored('proto-yaml'));
        const json = await post('/api/scenarios', `{"name": "proto-json", "environment": {}, "${block}": {"${key}": 5}}`, 'application/json');
        t.equal(json.status, 400, 'the JSON route refuses it too');
        // Fastify's JSON parser refuses __proto__ itself (protoAction: error), before the schema.
        t.match(json.body.message, key === '__proto__' ? /not valid JSON/ : key);
      });
    }
  }
  t.test(`refuses a top-level __proto__ or constructor block`, async (t) => {
    for (const key of ['__proto__', 'constructor']) {
      const res = await importYaml(`${key}:\n  income: 1\nenvironment: {}\n`, 'proto-top');
      t.equal(res.status, 400);
      t.match(res.body.message, `${key} is not a known block`);
    }
    t.equal(({} as Record<string, unknown>).income, undefined, 'nothing polluted');
  });
});

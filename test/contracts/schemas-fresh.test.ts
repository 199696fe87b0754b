import t from 'tap';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import {
  DEFAULT_OUT_DIR,
  JSON_SCHEMA_DIALECT,
  diffSchemaDir,
  generateSchemaFiles,
  main,
  schemaId,
  writeSchemaDir
} from '../../scripts/generate-schemas.js';
import { contracts, type Contract } from '../../src/contracts/registry.js';

const expected = generateSchemaFiles();

const run = async (argv: string[]) => {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
};

t.test('the committed schemas/ folder is exactly what the generator produces', async (t) => {
  t.same(await diffSchemaDir(DEFAULT_OUT_DIR, expected), [], 'run `npm run schemas` and commit schemas/');
  const { code, output } = await run(['--check']);
  t.equal(code, 0);
  t.match(output, /up to date/);
});

t.test('check mode names a changed, a missing and an extra file and exits 1', async (t) => {
  const dir = t.testdir();
  await writeSchemaDir(dir, expected);
  t.equal((await run(['--check', '--out', dir])).code, 0, 'a freshly written folder is fresh');

  const progress = join(dir, 'TrainingProgressEvent.json');
  await writeFile(progress, (await readFile(progress, 'utf8')).replace('"avg_reward"', '"avg_rewards"'));
  await rm(join(dir, 'Ping.json'));
  await writeFile(join(dir, 'RenamedAway.json'), '{}\n');

  t.same(await diffSchemaDir(dir, expected), [
    { file: 'Ping.json', problem: 'missing' },
    { file: 'RenamedAway.json', problem: 'extra' },
    { file: 'TrainingProgressEvent.json', problem: 'changed' }
  ]);
  const { code, output } = await run(['--check', '--out', dir]);
  t.equal(code, 1);
  t.match(output, /stale: Ping\.json \(missing\)/);
  t.match(output, /stale: RenamedAway\.json \(extra\)/);
  t.match(output, /stale: TrainingProgressEvent\.json \(changed\)/);
});

t.test('check mode reports a missing folder as every file missing', async (t) => {
  const dir = join(t.testdir(), 'nothing-here');
  const differences = await diffSchemaDir(dir, expected);
  t.equal(differences.length, expected.size);
  t.ok(differences.every((d) => d.problem === 'missing'));
  t.equal((await run(['--check', '--out', dir])).code, 1);
});

t.test('generating repairs a stale folder, deletes orphans and leaves openapi.json alone', async (t) => {
  const dir = t.testdir({
    'Ping.json': 'stale\n',
    'RenamedAway.json': '{}\n',
    'openapi.json': '{"openapi":"3.1.0"}\n',
    'notes.txt': 'not a schema'
  });
  const { code } = await run(['--out', dir]);
  t.equal(code, 0);
  t.same(await diffSchemaDir(dir, expected), []);
  const names = await readdir(dir);
  t.notOk(names.includes('RenamedAway.json'));
  t.ok(names.includes('openapi.json'));
  t.ok(names.includes('notes.txt'));
  t.equal(await readFile(join(dir, 'Ping.json'), 'utf8'), expected.get('Ping.json'));
});

t.test('generation is deterministic', async (t) => {
  t.same([...generateSchemaFiles()], [...expected]);
});

t.test('every registry contract gets a standalone file with dialect, $id and title', async (t) => {
  t.equal(expected.size, contracts.length + 2, 'one file per contract plus asyncapi.json and index.json');
  for (const c of contracts) {
    const text = expected.get(`${c.id}.json`);
    if (!t.ok(text, `${c.id}.json is generated`) || !text) continue;
    const schema = JSON.parse(text) as Record<string, unknown>;
    t.same(Object.keys(schema).slice(0, 3), ['$schema', '$id', 'title'], `${c.id}: header keys first`);
    t.equal(schema.$schema, JSON_SCHEMA_DIALECT);
    t.equal(schema.$id, schemaId(c.id));
    t.equal(schema.title, c.id);
    t.ok(text.endsWith('}\n'), `${c.id}: ends with one newline`);
    t.notMatch(text, /"\$ref"|"\$id": "(?!https)/, `${c.id}: no $ref and no nested $id`);
  }
});

t.test('index.json lists every contract id under its kind', async (t) => {
  const index = JSON.parse(expected.get('index.json')!) as { kinds: Record<string, string[]> };
  for (const c of contracts) t.ok(index.kinds[c.kind]?.includes(c.id), `${c.id} listed as ${c.kind}`);
});

t.test('the generator refuses schemas a standalone file cannot express', async (t) => {
  const one = (schema: Contract['schema'], id = 'Bad'): Contract[] => [{ id, kind: 'domain', schema }];
  t.throws(() => generateSchemaFiles(one(Type.Object({ a: Type.Ref('Other') })), '0.0.0'), /Bad\/properties\/a\/\$ref/);
  t.throws(() => generateSchemaFiles(one(Type.Object({ at: Type.Date() })), '0.0.0'), /TypeBox-only type/);
  t.throws(() => generateSchemaFiles([...one(Type.Null(), 'Twice'), ...one(Type.Null(), 'Twice')], '0.0.0'), /registered twice/);
  t.throws(() => generateSchemaFiles(one(Type.Null(), 'lowerCase'), '0.0.0'), /PascalCase/);
  t.throws(
    () => generateSchemaFiles([{ id: 'NoType', kind: 'server-message', schema: Type.Object({}) }], '0.0.0'),
    /needs its messageType/
  );
});

t.test('an unknown argument exits 2 with the usage', async (t) => {
  const { code, output } = await run(['--frobnicate']);
  t.equal(code, 2);
  t.match(output, /usage: generate-schemas/);
});

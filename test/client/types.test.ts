import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

const CLIENT_ENTRY = join(ROOT, 'src/client/index.js');

/** Correct use of the client's types: narrowing on `type` gives each payload its fields. */
const USE = `
import { HrlClient, RestClient, type RunEvent } from ${JSON.stringify(CLIENT_ENTRY)};

export async function watch(url: string, runId: string): Promise<number> {
  const client = new HrlClient({ url });
  let last = 0;
  for await (const ev of client.run(runId, { onResync: (info) => void info.last_seq })) {
    last = ev.seq;
    if (ev.type === 'training_progress') void (ev.data.avg_reward.toFixed(2) + ev.data.total_episodes);
    if (ev.type === 'training_completed') void ev.data.final_metrics.avg_portfolio;
    if (ev.type === 'training_stopped') void (ev.data.model_name ?? 'none');
  }
  client.subscribe({ scenario_name: 'demo' }, { onEvent: (ev: RunEvent) => void ev.run_id });
  const rest = new RestClient({ url });
  const started = await rest.startTraining({ scenario_name: 'demo', num_episodes: 5 });
  void started.data.run_id;
  await client.close();
  return last;
}
`;

/** Each line marked MISUSE must produce a diagnostic, and nothing else may. */
const MISUSE = `
import { HrlClient, RestClient } from ${JSON.stringify(CLIENT_ENTRY)};

export async function misuse(client: HrlClient, rest: RestClient): Promise<void> {
  for await (const ev of client.run('r1')) {
    const episode: string = ev.type === 'training_progress' ? ev.data.episode : ''; // MISUSE: episode is a number
    void ev.data.avg_reward; // MISUSE: only progress events carry avg_reward
    if (ev.type === 'training_stopped') void ev.data.model_name.length; // MISUSE: model_name may be null
    if (ev.type === 'training_error') void ev.data.final_metrics; // MISUSE: errors have no final_metrics
    void episode;
  }
  client.subscribe({ run_id: 'r1', scenario_name: 'demo' }, { onEvent: () => undefined }); // MISUSE: one filter at a time
  await rest.startTraining({ scenario: 'demo' }); // MISUSE: the field is scenario_name
}
`;

t.test('the client types accept correct use and reject misuse of event payloads', async (t) => {
  const dir = t.testdir();
  const use = join(dir, 'use.ts');
  const misuse = join(dir, 'misuse.ts');
  await writeFile(use, USE);
  await writeFile(misuse, MISUSE);
  const program = ts.createProgram([use, misuse], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    skipLibCheck: true,
    verbatimModuleSyntax: true
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const render = (d: ts.Diagnostic) =>
    `${d.file?.fileName ?? ''}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?'} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;

  t.same(diagnostics.filter((d) => d.file?.fileName !== misuse).map(render), [], 'correct use compiles with zero diagnostics');
  const expected = MISUSE.split('\n').flatMap((line, i) => (line.includes('// MISUSE') ? [i + 1] : []));
  const got = diagnostics.filter((d) => d.file?.fileName === misuse).map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1);
  t.same([...new Set(got)].sort((a, b) => a - b), expected, 'exactly the misuse lines are rejected');
});

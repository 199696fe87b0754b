import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { codegen } from '../../scripts/codegen.js';

const run = promisify(execFile);

/** A frame as the server sends it, and a start body, for the generated parsers to read. */
const PROGRESS = {
  type: 'training_progress',
  ts: '2026-11-25T12:00:00.000Z',
  run_id: 'run_01',
  seq: 7,
  data: {
    episode: 6,
    total_episodes: 10,
    avg_reward: -12.5,
    avg_duration: 120,
    avg_cash: 5300.25,
    avg_invested: 800,
    stability: 0.9,
    goal_adherence: 0.05,
    elapsed_time: 1.5
  }
};

async function has(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

t.test('npm run codegen generates Python models from schemas/ that import and parse a server frame', async (t) => {
  const dir = t.testdir();
  const file = await codegen({ lang: 'python', out: dir });
  t.equal(path.basename(file), 'hrl_finance_models.py');
  // quicktype's converters parse date-times with python-dateutil; without it, check plain types.
  const withConverters = await has('python3', ['-c', 'import dateutil']);
  if (!withConverters) await codegen({ lang: 'python', out: dir, justTypes: true });
  const script = withConverters
    ? `
import json, sys
import hrl_finance_models as m
frame = json.loads(sys.argv[1])
ev = m.run_event_from_dict(frame)
assert ev.seq == 7 and ev.data.episode == 6 and ev.data.avg_cash == 5300.25, ev
msg = m.server_message_from_dict(frame)
assert msg.run_id == 'run_01'
body = m.start_training_body_from_dict({'scenario_name': 'demo', 'num_episodes': 5})
assert body.scenario_name == 'demo'
try:
    m.run_event_from_dict(dict(frame, seq='seven'))
    raise SystemExit('a string seq was accepted')
except AssertionError:
    pass
print('ok')
`
    : `
import hrl_finance_models as m
assert m.RunEvent and m.StartTrainingBody
print('ok')
`;
  const { stdout } = await run('python3', ['-c', script, JSON.stringify(PROGRESS)], { cwd: dir });
  t.equal(stdout.trim(), 'ok', withConverters ? 'parses a progress frame and rejects a bad one' : 'plain types import');
});

const noGo = (await has('go', ['version'])) ? false : 'the go toolchain is not installed on this machine (Debian: apt-get install golang-go)';

t.test('npm run codegen generates Go models from schemas/ that compile and unmarshal a server frame', { skip: noGo }, async (t) => {
  const dir = t.testdir();
  const file = await codegen({ lang: 'go', out: dir, packageName: 'hrlfinance' });
  t.equal(path.basename(file), 'models.go');
  await writeFile(path.join(dir, 'go.mod'), 'module example.com/hrlfinance\n\ngo 1.19\n');
  await writeFile(
    path.join(dir, 'models_test.go'),
    `package hrlfinance

import "testing"

func TestUnmarshalProgress(t *testing.T) {
	ev, err := UnmarshalTrainingProgressEvent([]byte(${JSON.stringify(JSON.stringify(PROGRESS))}))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 7 || ev.Data.Episode != 6 || ev.RunID != "run_01" {
		t.Fatalf("unexpected %+v", ev)
	}
}
`
  );
  // The default build cache is kept: compiling the standard library again each run is slow.
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local' };
  const { stdout } = await run('go', ['test', '-vet=off', './...'], { cwd: dir, env, timeout: 120_000 });
  t.match(stdout, /^ok/m, 'go test passes');
});

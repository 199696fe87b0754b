import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { HrlClient, HrlClientError, HttpError, RestClient, isTerminal, type RunEvent } from '../client/index.js';

export const EXIT = { completed: 0, error: 1, stopped: 2, usage: 64 } as const;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default service URL when --url is absent (the entry passes HRL_URL). */
  defaultUrl?: string;
}

const USAGE = `Usage:
  hrl-finance watch [--run ID | --scenario NAME] [--url URL] [--json]
  hrl-finance train --scenario NAME [--episodes N] [--seed N] [--url URL] [--json]

watch   follows a run (--run), the current or next run of a scenario (--scenario),
        or every active run (no filter) with a live progress bar per run; it
        resumes after a dropped connection or a server restart.
train   starts a run of the scenario, then watches it.

--url   service base URL (default $HRL_URL or http://127.0.0.1:8000)
--json  print the raw run events as JSON lines instead of progress bars

Exit code: 0 training_completed, 1 training_error (or a failure), 2 training_stopped,
64 bad usage. Several runs: the worst of them (1 > 2 > 0).`;

const codeOf = (event: RunEvent): number =>
  event.type === 'training_completed' ? EXIT.completed : event.type === 'training_stopped' ? EXIT.stopped : EXIT.error;

/** 1 (error) outranks 2 (stopped) outranks 0 (completed). */
const worst = (a: number, b: number): number => (a === EXIT.error || b === EXIT.error ? EXIT.error : Math.max(a, b));

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        run: { type: 'string' },
        scenario: { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        episodes: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      }
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    (values.help || command === 'help' ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help || command === 'help' ? 0 : EXIT.usage;
  }
  const url = values.url ?? io.defaultUrl ?? 'http://127.0.0.1:8000';
  const rest = new RestClient({ url });

  try {
    if (command === 'watch') {
      if (values.run !== undefined && values.scenario !== undefined) {
        io.stderr.write('give --run or --scenario, not both\n');
        return EXIT.usage;
      }
      return await watch({ url, rest, io, json: values.json, runId: values.run, scenario: values.scenario });
    }
    if (command === 'train') {
      if (values.scenario === undefined) {
        io.stderr.write(`train needs --scenario NAME\n\n${USAGE}\n`);
        return EXIT.usage;
      }
      const episodes = values.episodes === undefined ? undefined : Number(values.episodes);
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if ((episodes !== undefined && !Number.isInteger(episodes)) || (seed !== undefined && !Number.isInteger(seed))) {
        io.stderr.write('--episodes and --seed take integers\n');
        return EXIT.usage;
      }
      const started = await rest.startTraining({
        scenario_name: values.scenario,
        ...(episodes !== undefined && { num_episodes: episodes }),
        ...(seed !== undefined && { seed })
      });
      if (!values.json) io.stderr.write(`started run ${started.data.run_id} (${started.data.status})\n`);
      return await watch({ url, rest, io, json: values.json, runId: started.data.run_id });
    }
    io.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return EXIT.usage;
  } catch (error) {
    if (error instanceof HttpError || error instanceof HrlClientError) io.stderr.write(`hrl-finance: ${error.message}\n`);
    else io.stderr.write(`hrl-finance: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  }
}

interface WatchOptions {
  url: string;
  rest: RestClient;
  io: CliIo;
  json: boolean;
  runId?: string;
  scenario?: string;
}

/**
 * Follows runs until every followed run has ended. With a scenario or no filter, the
 * runs active now are followed from their start, and later ones as they begin.
 */
async function watch(opts: WatchOptions): Promise<number> {
  const { io, json } = opts;
  // A watcher wants to be back soon after a restart: cap the backoff at 2 s.
  const client = new HrlClient({ url: opts.url, reconnect: { initialDelayMs: 200, maxDelayMs: 2000 } });
  const view = json ? new JsonView(io) : new BarView(io);
  client.on('reconnecting', ({ attempt, delay_ms }) => view.note(`connection lost; reconnecting (attempt ${attempt}, in ${delay_ms} ms)`));
  client.on('open', ({ reconnected }) => reconnected && view.note('reconnected; resuming'));
  client.on('resync', ({ run_id, last_seq }) => view.note(`run ${run_id}: events after seq ${last_seq} are no longer held by the server`));

  let exitCode: number | undefined;
  const following = new Map<string, Promise<number>>();
  const follow = (runId: string): void => {
    if (following.has(runId)) return;
    following.set(
      runId,
      (async () => {
        let code: number = EXIT.error;
        for await (const event of client.run(runId)) {
          view.event(event);
          if (isTerminal(event)) code = codeOf(event);
        }
        return code;
      })()
    );
  };

  try {
    if (opts.runId !== undefined) {
      follow(opts.runId);
    } else {
      // New runs: the live filter announces them with training_started (or, if missed, any event).
      let firstSeen: (() => void) | undefined;
      const seen = new Promise<void>((resolve) => (firstSeen = resolve));
      const sub = client.subscribe(opts.scenario !== undefined ? { scenario_name: opts.scenario } : {}, {
        onEvent: (event) => {
          if (following.has(event.run_id) || isTerminal(event)) return;
          follow(event.run_id);
          firstSeen?.();
        }
      });
      await sub.ready;
      const active = await activeRuns(opts.rest, opts.scenario);
      for (const run of active) follow(run);
      if (following.size === 0) {
        view.note(opts.scenario !== undefined ? `waiting for a run of ${opts.scenario}` : 'waiting for a run to start');
        await seen;
      }
      // A scenario has at most one active run: stop looking for others once it is followed.
      if (opts.scenario !== undefined) sub.close();
    }
    // Every followed run (including ones that start meanwhile with no filter) must end.
    for (let settled = 0; settled < following.size; ) {
      const codes = await Promise.all([...following.values()]);
      settled = codes.length;
      exitCode = codes.reduce(worst, EXIT.completed);
    }
    return exitCode ?? EXIT.error;
  } finally {
    view.stop();
    await client.close();
  }
}

async function activeRuns(rest: RestClient, scenario: string | undefined): Promise<string[]> {
  const ids: string[] = [];
  for (const status of ['running', 'queued'] as const) {
    const { runs } = await rest.listRuns({ status, ...(scenario !== undefined && { scenario_name: scenario }) });
    ids.push(...runs.map((r) => r.run_id));
  }
  return ids;
}

interface View {
  event(event: RunEvent): void;
  note(message: string): void;
  stop(): void;
}

class JsonView implements View {
  constructor(private readonly io: CliIo) {}
  event(event: RunEvent): void {
    this.io.stdout.write(`${JSON.stringify(event)}\n`);
  }
  note(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }
  stop(): void {}
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** One progress bar per run (episodes, ETA, avg reward, avg cash, stability); a summary line at the end. */
class BarView implements View {
  readonly #multi: cliProgress.MultiBar;
  readonly #bars = new Map<string, cliProgress.SingleBar>();

  constructor(private readonly io: CliIo) {
    this.#multi = new cliProgress.MultiBar(
      {
        stream: io.stderr,
        format: '{run} |{bar}| {value}/{total} ep | ETA {eta_formatted} | reward {reward} | cash {cash} | stability {stability}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 20,
        fps: 10
      },
      cliProgress.Presets.shades_classic
    );
  }

  #bar(runId: string, total: number): cliProgress.SingleBar {
    let bar = this.#bars.get(runId);
    if (!bar) {
      bar = this.#multi.create(total, 0, { run: runId.slice(0, 12), reward: '-', cash: '-', stability: '-' });
      this.#bars.set(runId, bar);
    }
    return bar;
  }

  event(event: RunEvent): void {
    switch (event.type) {
      case 'training_started':
        this.#bar(event.run_id, event.data.num_episodes);
        return;
      case 'training_progress': {
        const d = event.data;
        const bar = this.#bar(event.run_id, d.total_episodes);
        bar.setTotal(d.total_episodes);
        bar.update(d.episode, { reward: fmt(d.avg_reward, 2), cash: fmt(d.avg_cash, 0), stability: fmt(d.stability, 3) });
        return;
      }
      case 'training_completed':
        this.#bar(event.run_id, Math.max(1, event.data.episodes_completed)).update(event.data.episodes_completed);
        this.#line(
          `run ${event.run_id} completed: ${event.data.episodes_completed} episodes in ${fmt(event.data.duration_s)} s, ` +
            `avg reward ${fmt(event.data.final_metrics.avg_reward, 2)}, model ${event.data.model_name}`
        );
        return;
      case 'training_stopped':
        this.#line(`run ${event.run_id} stopped after ${event.data.episodes_completed} episodes (model ${event.data.model_name ?? 'not saved'})`);
        return;
      case 'training_error':
        this.#line(`run ${event.run_id} failed after ${event.data.episodes_completed} episodes: ${event.data.message}`);
    }
  }

  note(message: string): void {
    this.#line(message);
  }

  #line(message: string): void {
    // On a terminal the bars redraw around log lines; elsewhere (pipes, CI) plain lines only.
    if (this.io.stderr.isTTY) {
      this.#multi.log(`${message}\n`);
      this.#multi.update(); // draw now: a log line still buffered at stop() would be lost
    }
    else this.io.stderr.write(`${message}\n`);
  }

  stop(): void {
    this.#multi.stop();
  }
}

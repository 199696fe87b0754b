import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { HrlClient, HrlClientError, HttpError, RestClient, isTerminal, type RunEvent } from '../client/index.js';

/** Exit codes; 64 and 69 are sysexits' EX_USAGE and EX_UNAVAILABLE. */
export const EXIT = { completed: 0, error: 1, stopped: 2, usage: 64, unavailable: 69 } as const;

/** How long one REST call may take before the service counts as unreachable. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default service URL when --url is absent (the entry passes HRL_URL). */
  defaultUrl?: string;
  /** Default bearer token when --token is absent (the entry passes HRL_TOKEN). */
  defaultToken?: string;
}

const USAGE = `Usage:
  hrl-finance watch [--run ID | --scenario NAME] [--url URL] [--token TOKEN] [--json]
  hrl-finance train --scenario NAME [--episodes N] [--seed N] [--url URL] [--token TOKEN] [--json]

watch   follows a run (--run), the current or next run of a scenario (--scenario),
        or every active run (no filter) with a live progress bar per run; it
        resumes after a dropped connection or a server restart.
train   starts a run of the scenario, then watches it.

--url    service base URL (default $HRL_URL or http://127.0.0.1:8000)
--token  bearer token when the service has tokens (default $HRL_TOKEN)
--json   print the raw run events as JSON lines instead of progress bars

Exit code: 0 training_completed, 1 training_error (or a failure), 2 training_stopped,
64 bad usage, 69 the service cannot be reached. Several runs: the worst of them (1 > 2 > 0).`;

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
        token: { type: 'string' },
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
  const token = values.token ?? io.defaultToken;
  let rest: RestClient;
  try {
    rest = new RestClient({ url, token, fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }) });
  } catch {
    io.stderr.write(`--url ${JSON.stringify(url)} is not a URL\n`);
    return EXIT.usage;
  }

  try {
    if (command === 'watch') {
      if (values.run !== undefined && values.scenario !== undefined) {
        io.stderr.write('give --run or --scenario, not both\n');
        return EXIT.usage;
      }
      // Reachability, the token and the run id are checked once over REST before the
      // socket (which would retry forever) is opened.
      if (values.run !== undefined) await rest.getRun(values.run);
      else await rest.listRuns({ limit: 1 });
      return await watch({ url, token, rest, io, json: values.json, runId: values.run, scenario: values.scenario });
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
      return await watch({ url, token, rest, io, json: values.json, runId: started.data.run_id });
    }
    io.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return EXIT.usage;
  } catch (error) {
    const unreachable = unreachableReason(error);
    if (unreachable !== null) {
      io.stderr.write(`hrl-finance: cannot reach the service at ${rest.baseUrl}: ${unreachable}\n`);
      return EXIT.unavailable;
    }
    if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
      io.stderr.write(`hrl-finance: ${error.message} (pass --token or set HRL_TOKEN${error.status === 403 ? ' to a token with the needed scope' : ''})\n`);
    } else if (error instanceof HttpError || error instanceof HrlClientError) io.stderr.write(`hrl-finance: ${error.message}\n`);
    else io.stderr.write(`hrl-finance: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  }
}

/** Network-level failures of fetch (nothing answered at all), or null for anything else. */
function unreachableReason(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  if (error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  // undici reports connection failures as TypeError('fetch failed') with the system error as cause.
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    const code = cause?.code;
    if (code === 'ECONNREFUSED') return 'connection refused (is the service running, and on this port?)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
    return cause?.message ?? code ?? error.message;
  }
  return null;
}

interface WatchOptions {
  url: string;
  token: string | undefined;
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
  const client = new HrlClient({ url: opts.url, token: opts.token, reconnect: { initialDelayMs: 200, maxDelayMs: 2000 } });
  // Bars redraw in place, which only a terminal can show; pipes and CI logs get plain lines.
  const view = json ? new JsonView(io) : io.stderr.isTTY ? new BarView(io) : new LineView(io);
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

/** The closing line of a run, the same in both views. */
function terminalLine(event: RunEvent): string | null {
  switch (event.type) {
    case 'training_completed':
      return (
        `run ${event.run_id} completed: ${event.data.episodes_completed} episodes in ${fmt(event.data.duration_s)} s, ` +
        `avg reward ${fmt(event.data.final_metrics.avg_reward, 2)}, model ${event.data.model_name}`
      );
    case 'training_stopped':
      return `run ${event.run_id} stopped after ${event.data.episodes_completed} episodes (model ${event.data.model_name ?? 'not saved'})`;
    case 'training_error':
      return `run ${event.run_id} failed after ${event.data.episodes_completed} episodes: ${event.data.message}`;
    default:
      return null;
  }
}

/** How often a pipe or log gets a progress line per run. */
const LINE_INTERVAL_MS = 2000;

/** Plain lines for pipes and CI logs: a run's start, its progress every 2 s, and its end. */
class LineView implements View {
  readonly #lastLine = new Map<string, number>();

  constructor(private readonly io: CliIo) {}

  event(event: RunEvent): void {
    if (event.type === 'training_started') {
      this.#write(`run ${event.run_id} (${event.data.scenario_name}) started: ${event.data.num_episodes} episodes, seed ${event.data.seed}`);
    } else if (event.type === 'training_progress') {
      const now = Date.now();
      const d = event.data;
      if (now - (this.#lastLine.get(event.run_id) ?? 0) < LINE_INTERVAL_MS && d.episode < d.total_episodes) return;
      this.#lastLine.set(event.run_id, now);
      this.#write(
        `run ${event.run_id}: ${d.episode}/${d.total_episodes} episodes | reward ${fmt(d.avg_reward, 2)} | ` +
          `cash ${fmt(d.avg_cash, 0)} | stability ${fmt(d.stability, 3)}`
      );
    } else {
      const line = terminalLine(event);
      if (line !== null) this.#write(line);
    }
  }

  note(message: string): void {
    this.#write(message);
  }

  #write(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  stop(): void {}
}

/** On a terminal: one progress bar per run (episodes, ETA, avg reward, avg cash, stability); a summary line at the end. */
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
        this.#line(terminalLine(event)!);
        return;
      case 'training_stopped':
      case 'training_error':
        this.#line(terminalLine(event)!);
    }
  }

  note(message: string): void {
    this.#line(message);
  }

  #line(message: string): void {
    // The bars redraw around log lines.
    this.#multi.log(`${message}\n`);
    this.#multi.update(); // draw now: a log line still buffered at stop() would be lost
  }

  stop(): void {
    this.#multi.stop();
  }
}

import { Redis, type Result } from 'ioredis';
import type { RunEvent, RunEventType } from '../contracts/events.js';
import { appendWithRetry, buildMessage, DEFAULT_STORE_RETRY_DELAYS_MS } from './envelope.js';
import {
  BusClosedError,
  type BusListener,
  type BusMessage,
  type EventBus,
  type EventStore,
  type PublishRequest,
  type ReadResult
} from './event-bus.js';

/**
 * Appends one run's stored events to Redis in seq order, atomically with the run's counter
 * (the way Centrifugo's broker numbers a channel's history): an event is added only when its
 * seq is exactly counter + 1, so every stream holds each run's events once and in order, no
 * matter how many publishers race. Seqs at or below the counter are skipped (another
 * publisher already streamed them); a seq beyond counter + 1 stops the loop and the returned
 * counter tells the caller which stored events to stream first. A run's history is trimmed
 * exactly (it answers resumes), the shared delivery stream approximately (cheaper).
 *
 * KEYS: delivery stream (read by every bus instance), run counter, run history stream
 * ARGV: delivery maxlen, history maxlen, ttl seconds, run id, then (seq, scenario, frame)…
 */
const APPEND_EVENTS_LUA = `
local last = tonumber(redis.call('GET', KEYS[2]))
for i = 5, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if last == nil then last = seq - 1 end
  if seq == last + 1 then
    redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], ARGV[i] .. '-0', 's', ARGV[i + 1], 'f', ARGV[i + 2])
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'r', ARGV[4], 'q', ARGV[i], 's', ARGV[i + 1], 'f', ARGV[i + 2])
    last = seq
  elseif seq > last + 1 then
    break
  end
end
redis.call('SET', KEYS[2], last, 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return last
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hrlAppendEvents(...args: Array<string | number | Buffer>): Result<number, Context>;
  }
}

export interface RedisBusOptions {
  /** The durable history (PostgreSQL in the scaled deployment): written before anything is streamed. */
  store: EventStore;
  /** redis://… of the Redis every gateway and trainer shares. */
  url: string;
  /** Prepended to every key, so several deployments (or test files) can share one Redis. */
  keyPrefix?: string;
  /** Events kept in Redis per run, so recent resumes need no storage read. */
  replayWindow?: number;
  /** Entries kept in the stream every instance reads; a reader further behind refills from history. */
  deliveryStreamLength?: number;
  /** How long a run's counter and history stay in Redis after its last event. */
  runTtlSeconds?: number;
  /** Runs whose numbering and delivery position each instance keeps in memory. */
  maxRunsTracked?: number;
  /** Waits between attempts to store a batch while the database is busy or locked. */
  retryDelaysMs?: number[];
  /** Connection and read errors (Redis reconnects by itself); they never throw. */
  onError?: (error: Error) => void;
}

interface Pending {
  request: PublishRequest;
  resolve: (m: BusMessage) => void;
  reject: (e: unknown) => void;
}

/** A flush waiting for the reader to pass delivery-stream entry `id`. */
interface ProgressWaiter {
  id: string;
  resolve: () => void;
}

interface Prepared {
  pending: Pending;
  message: BusMessage;
}

/** Concurrent publishers of one run that lose the race for a seq renumber from the store; this bounds it. */
const MAX_RENUMBERINGS = 20;
/** Rounds of streaming events a dead publisher stored but never streamed, before giving up. */
const MAX_REPAIR_ROUNDS = 3;
const READ_BATCH = 1000;
const READ_RETRY_MS = 250;

/**
 * Event bus shared by processes over Redis Streams.
 *
 * Publishing: validate and serialize once, number from this instance's cache of the run's
 * last seq, store the batch (the store's (run_id, seq) key makes a seq taken twice a
 * conflict, after which the batch is renumbered from the store), then append to Redis with
 * APPEND_EVENTS_LUA. Delivery: every instance reads the delivery stream from where it
 * started (XREAD BLOCK) and hands each run's events to its listeners in seq order, skipping
 * what it already delivered and refilling any gap from the run's history (Redis, then the
 * store). A publish resolves once its event reached this instance's listeners.
 */
export class RedisEventBus implements EventBus {
  readonly #store: EventStore;
  readonly #writer: Redis;
  readonly #reader: Redis;
  readonly #prefix: string;
  readonly #deliveryKey: string;
  readonly #replayWindow: number;
  readonly #deliveryLength: number;
  readonly #ttlSeconds: number;
  readonly #maxRuns: number;
  readonly #retryDelaysMs: number[];
  readonly #onError: (error: Error) => void;
  readonly #listeners = new Set<BusListener>();
  /** Last seq this instance numbered per run: a cache, the store decides on conflict. */
  readonly #seqs = new Map<string, number>();
  /** Last seq handed to this instance's listeners per run (least recently delivered first). */
  readonly #delivered = new Map<string, number>();
  /** This instance's stored and streamed publishes waiting for their local delivery, ascending per run. */
  readonly #awaiting = new Map<string, Prepared[]>();
  #progressWaiters: ProgressWaiter[] = [];
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  /** Id of the last delivery-stream entry this instance has handled. */
  #lastId = '0-0';
  readonly #ready: Promise<void>;
  #consumer: Promise<void> | null = null;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#store = options.store;
    this.#prefix = options.keyPrefix ?? 'hrl:';
    this.#deliveryKey = `${this.#prefix}events`;
    this.#replayWindow = options.replayWindow ?? 1000;
    this.#deliveryLength = options.deliveryStreamLength ?? 10_000;
    this.#ttlSeconds = options.runTtlSeconds ?? 86_400;
    this.#maxRuns = options.maxRunsTracked ?? 10_000;
    this.#retryDelaysMs = options.retryDelaysMs ?? DEFAULT_STORE_RETRY_DELAYS_MS;
    this.#onError = options.onError ?? (() => {});
    this.#writer = new Redis(options.url);
    // XREAD BLOCK holds its connection, so reading gets one of its own.
    this.#reader = new Redis(options.url);
    for (const client of [this.#writer, this.#reader]) client.on('error', (error: Error) => this.#onError(error));
    this.#writer.defineCommand('hrlAppendEvents', { numberOfKeys: 3, lua: APPEND_EVENTS_LUA });
    this.#ready = this.#start();
  }

  /** Resolves once connected and reading; publishes wait for it by themselves. */
  ready(): Promise<void> {
    return this.#ready;
  }

  publish<K extends RunEventType>(request: PublishRequest<K>): Promise<BusMessage> {
    if (this.#closed) return Promise.reject(new BusClosedError('event bus is closed'));
    return new Promise<BusMessage>((resolve, reject) => {
      this.#queue.push({ request: request as unknown as PublishRequest, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async readAfter(runId: string, afterSeq: number, limit = 10_000): Promise<ReadResult> {
    const from = Math.max(0, Math.trunc(afterSeq)) + 1;
    const [history, counter] = await Promise.all([
      limit > 0 ? this.#writer.xrange(this.#historyKey(runId), `${from}-0`, '+', 'COUNT', limit) : Promise.resolve([]),
      this.#writer.get(this.#counterKey(runId))
    ]);
    if (counter !== null) {
      const latestSeq = Number(counter);
      if (history.length > 0 && parseSeq(history[0][0]) === from) {
        return { events: history.map(([, fields]) => parseEvent(fieldOf(fields, 'f'))), complete: true, latestSeq };
      }
      if (latestSeq < from) return { events: [], complete: true, latestSeq };
    }
    // Trimmed from Redis, or the run's keys expired: the store has every stored event.
    const events = await this.#store.readEvents(runId, from - 1, limit);
    if (events.length > 0) return { events, complete: events[0].seq === from, latestSeq: events[events.length - 1].seq };
    const latestSeq = await this.#store.lastSeq(runId);
    return { events, complete: latestSeq < from, latestSeq };
  }

  async lastSeq(runId: string): Promise<number> {
    const counter = await this.#writer.get(this.#counterKey(runId));
    return counter !== null ? Number(counter) : await this.#store.lastSeq(runId);
  }

  /** Waits for this instance's publishes, then until it has delivered everything streamed so far (by any instance). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#closed) return;
    await this.#ready;
    const [tail] = await this.#writer.xrevrange(this.#deliveryKey, '+', '-', 'COUNT', 1);
    if (!tail || compareIds(this.#lastId, tail[0]) >= 0 || this.#closed) return;
    await new Promise<void>((resolve) => this.#progressWaiters.push({ id: tail[0], resolve }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#listeners.clear();
    this.#reader.disconnect();
    await this.#consumer;
    await this.#writer.quit().catch(() => this.#writer.disconnect());
    for (const waiting of this.#awaiting.values()) {
      for (const { pending } of waiting) pending.reject(new BusClosedError('event bus closed before delivery'));
    }
    this.#awaiting.clear();
    for (const waiter of this.#progressWaiters) waiter.resolve();
    this.#progressWaiters = [];
  }

  #counterKey(runId: string): string {
    return `${this.#prefix}run:${runId}:seq`;
  }

  #historyKey(runId: string): string {
    return `${this.#prefix}run:${runId}:history`;
  }

  /** Reads from the stream's current end, so an instance delivers what is published after it starts. */
  async #start(): Promise<void> {
    for (;;) {
      try {
        const [tail] = await this.#writer.xrevrange(this.#deliveryKey, '+', '-', 'COUNT', 1);
        if (tail) this.#lastId = tail[0];
        break;
      } catch (error) {
        if (this.#closed) return;
        this.#onError(error as Error);
        await delay(READ_RETRY_MS);
      }
    }
    this.#consumer = this.#consume();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#processBatch(batch);
      }
    } finally {
      this.#draining = null;
    }
  }

  async #processBatch(batch: Pending[]): Promise<void> {
    await this.#ready;
    let prepared = await this.#prepare(batch);
    for (let renumberings = 0; prepared.length > 0; renumberings++) {
      try {
        await appendWithRetry(
          this.#store,
          prepared.map(({ message }) => ({ event: message.event, scenario_name: message.scenario_name })),
          this.#retryDelaysMs
        );
        break;
      } catch (error) {
        // Nothing of the batch was stored; numbers come from the store next time.
        for (const { message } of prepared) this.#seqs.delete(message.event.run_id);
        if (isConflict(error) && renumberings < MAX_RENUMBERINGS) {
          // Another instance took some of these seqs first.
          prepared = await this.#prepare(prepared.map(({ pending }) => pending));
          continue;
        }
        for (const { pending } of prepared) pending.reject(error);
        return;
      }
    }
    if (prepared.length === 0) return;

    const byRun = new Map<string, Prepared[]>();
    for (const item of prepared) {
      const runId = item.message.event.run_id;
      let group = byRun.get(runId);
      if (!group) byRun.set(runId, (group = []));
      group.push(item);
      // Registered before streaming: the reader may deliver before the append returns.
      let waiting = this.#awaiting.get(runId);
      if (!waiting) this.#awaiting.set(runId, (waiting = []));
      waiting.push(item);
    }
    try {
      await this.#stream(byRun);
    } catch (error) {
      // Stored but not streamed: the run's next publish (here or elsewhere) streams these first.
      for (const [runId, group] of byRun) {
        const waiting = this.#awaiting.get(runId)?.filter((w) => !group.includes(w));
        if (waiting && waiting.length > 0) this.#awaiting.set(runId, waiting);
        else this.#awaiting.delete(runId);
        for (const { pending } of group) pending.reject(error);
      }
    }
  }

  /** Numbers, validates and serializes each request; invalid ones are rejected without consuming a seq. */
  async #prepare(pendings: Pending[]): Promise<Prepared[]> {
    const prepared: Prepared[] = [];
    for (const pending of pendings) {
      const runId = pending.request.run_id;
      try {
        const last = this.#seqs.get(runId) ?? (await this.#store.lastSeq(runId));
        const message = buildMessage(pending.request, last + 1);
        remember(this.#seqs, runId, message.event.seq, this.#maxRuns);
        prepared.push({ pending, message });
      } catch (error) {
        pending.reject(error);
      }
    }
    return prepared;
  }

  /** Appends each run's stored events to Redis, first streaming any a dead publisher left behind. */
  async #stream(byRun: Map<string, Prepared[]>): Promise<void> {
    let todo = [...byRun].map(([runId, group]) => ({ runId, messages: group.map((p) => p.message) }));
    for (let round = 0; todo.length > 0; round++) {
      const pipeline = this.#writer.pipeline();
      for (const { runId, messages } of todo) pipeline.hrlAppendEvents(...this.#appendArgs(runId, messages));
      const results = (await pipeline.exec()) ?? [];
      const next: typeof todo = [];
      for (const [i, { runId, messages }] of todo.entries()) {
        const [error, counter] = results[i] ?? [new Error('no reply from Redis')];
        if (error) throw error;
        const first = messages[0].event.seq;
        if (Number(counter) >= messages[messages.length - 1].event.seq) continue;
        const streamed = Number(counter);
        if (round >= MAX_REPAIR_ROUNDS) {
          throw new Error(`run ${runId}: events ${streamed + 1}..${first - 1} are stored but could not be streamed`);
        }
        const missing = await this.#store.readEvents(runId, streamed, first - 1 - streamed);
        const scenario = messages[0].scenario_name;
        next.push({ runId, messages: [...missing.map((event) => messageOf(event, scenario)), ...messages] });
      }
      todo = next;
    }
  }

  #appendArgs(runId: string, messages: BusMessage[]): Array<string | number | Buffer> {
    const args: Array<string | number | Buffer> = [
      this.#deliveryKey,
      this.#counterKey(runId),
      this.#historyKey(runId),
      this.#deliveryLength,
      this.#replayWindow,
      this.#ttlSeconds,
      runId
    ];
    for (const m of messages) args.push(m.event.seq, m.scenario_name, m.frame);
    return args;
  }

  async #consume(): Promise<void> {
    while (!this.#closed) {
      let reply: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      try {
        reply = await this.#reader.xreadBuffer('COUNT', READ_BATCH, 'BLOCK', 0, 'STREAMS', this.#deliveryKey, this.#lastId);
      } catch (error) {
        if (this.#closed) return;
        this.#onError(error as Error);
        await delay(READ_RETRY_MS);
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          await this.#receive(fields);
          this.#lastId = id.toString();
        }
      }
      this.#wakeProgressWaiters();
    }
  }

  async #receive(fields: Buffer[]): Promise<void> {
    const runId = fieldOf(fields, 'r').toString();
    const seq = Number(fieldOf(fields, 'q').toString());
    const scenario = fieldOf(fields, 's').toString();
    const delivered = this.#delivered.get(runId);
    if (delivered !== undefined) {
      if (seq <= delivered) return; // already delivered, from a refill
      if (seq > delivered + 1) await this.#refill(runId, delivered, seq - 1, scenario);
    }
    const own = this.#awaiting.get(runId)?.[0];
    const frame = fieldOf(fields, 'f');
    this.#deliver(own?.message.event.seq === seq ? own.message : { event: parseEvent(frame), scenario_name: scenario, frame });
  }

  /** Delivers seqs (from, to] from the run's history: the reader fell behind the delivery stream's length. */
  async #refill(runId: string, from: number, to: number, scenario: string): Promise<void> {
    let after = from;
    while (after < to) {
      const { events } = await this.readAfter(runId, after, to - after);
      if (events.length === 0 || events[0].seq !== after + 1) return;
      for (const event of events) this.#deliver(messageOf(event, scenario));
      after = events[events.length - 1].seq;
    }
  }

  #deliver(message: BusMessage): void {
    const runId = message.event.run_id;
    remember(this.#delivered, runId, message.event.seq, this.#maxRuns);
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch {
        // A failing listener must not stop delivery to the others.
      }
    }
    const waiting = this.#awaiting.get(runId);
    if (!waiting) return;
    let done = 0;
    while (done < waiting.length && waiting[done].message.event.seq <= message.event.seq) {
      waiting[done].pending.resolve(waiting[done].message);
      done++;
    }
    if (done === waiting.length) this.#awaiting.delete(runId);
    else if (done > 0) waiting.splice(0, done);
  }

  #wakeProgressWaiters(): void {
    if (this.#progressWaiters.length === 0) return;
    const still: ProgressWaiter[] = [];
    for (const waiter of this.#progressWaiters) {
      if (compareIds(this.#lastId, waiter.id) >= 0) waiter.resolve();
      else still.push(waiter);
    }
    this.#progressWaiters = still;
  }
}

/** Sets `key` as the most recent entry, dropping the least recent beyond `max`. */
function remember(map: Map<string, number>, key: string, value: number, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

function messageOf(event: RunEvent, scenario_name: string): BusMessage {
  return { event, scenario_name, frame: Buffer.from(JSON.stringify(event)) };
}

function parseEvent(frame: Buffer | string): RunEvent {
  return JSON.parse(frame.toString()) as RunEvent;
}

/** A stream entry's field value; entries are written by APPEND_EVENTS_LUA only. */
function fieldOf<T extends Buffer | string>(fields: T[], name: string): T {
  for (let i = 0; i < fields.length; i += 2) if (fields[i].toString() === name) return fields[i + 1];
  throw new Error(`stream entry without field ${name}`);
}

/** History entries are numbered `<seq>-0`. */
function parseSeq(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Orders stream ids `<ms>-<n>`. */
function compareIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(Number);
  const [bm, bn] = b.split('-').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/** The store's (run_id, seq) key refused a seq another instance stored first. */
function isConflict(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConflictError';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

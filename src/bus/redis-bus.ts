import { Redis, type RedisOptions, type Result } from 'ioredis';
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
 * counter tells the caller which stored events to stream first. A run without a counter
 * (new, or its keys expired or were lost) starts from the caller's floor: the store's last
 * seq when the caller began numbering the batch, so events a concurrent publisher stored
 * meanwhile are streamed, not skipped.
 *
 * Each delivery-stream entry names the entry before it (`p`), so a reader knows exactly when
 * trimming took entries it had not read; each history entry names its delivery entry (`d`),
 * and a sorted set scores each run by the time of its latest entry, so such a reader finds
 * the runs it missed. A run's history is trimmed exactly (it answers resumes), the delivery
 * stream approximately.
 *
 * KEYS: delivery stream (read by every bus instance), run counter, run history stream, active runs
 * ARGV: delivery maxlen, history maxlen, ttl seconds, run id, floor, then (seq, scenario, frame)…
 * Returns {counter, id of the delivery stream's last entry}.
 */
const APPEND_EVENTS_LUA = `
local last = tonumber(redis.call('GET', KEYS[2])) or tonumber(ARGV[5])
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = tail[1] and tail[1][1] or '0-0'
for i = 6, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if seq == last + 1 then
    prev = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'p', prev, 'r', ARGV[4], 'q', ARGV[i], 's', ARGV[i + 1], 'f', ARGV[i + 2])
    redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], ARGV[i] .. '-0', 'd', prev, 's', ARGV[i + 1], 'f', ARGV[i + 2])
    last = seq
  elseif seq > last + 1 then
    break
  end
end
redis.call('SET', KEYS[2], last, 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
local ms = tonumber(string.match(prev, '^(%d+)'))
redis.call('ZADD', KEYS[4], ms, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (ms - 1000 * tonumber(ARGV[3])))
return {last, prev}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hrlAppendEvents(...args: Array<string | number | Buffer>): Result<[number, string], Context>;
  }
}

export interface RedisBusOptions {
  /** The durable history (PostgreSQL in the scaled deployment): written before anything is streamed. */
  store: EventStore;
  /** redis://… of the Redis every gateway and trainer shares. */
  url: string;
  /** Client settings beside the URL (e.g. how long a command waits through reconnects). */
  redisOptions?: RedisOptions;
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
 * store). A publish resolves once this instance's reader has passed its event (delivered it,
 * unless trimming took it first).
 */
export class RedisEventBus implements EventBus {
  readonly #store: EventStore;
  readonly #writer: Redis;
  readonly #reader: Redis;
  readonly #prefix: string;
  readonly #deliveryKey: string;
  readonly #activeRunsKey: string;
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
    this.#activeRunsKey = `${this.#prefix}runs`;
    this.#replayWindow = options.replayWindow ?? 1000;
    this.#deliveryLength = options.deliveryStreamLength ?? 10_000;
    this.#ttlSeconds = options.runTtlSeconds ?? 86_400;
    this.#maxRuns = options.maxRunsTracked ?? 10_000;
    this.#retryDelaysMs = options.retryDelaysMs ?? DEFAULT_STORE_RETRY_DELAYS_MS;
    this.#onError = options.onError ?? (() => {});
    this.#writer = new Redis(options.url, options.redisOptions ?? {});
    // XREAD BLOCK holds its connection, so reading gets one of its own.
    this.#reader = new Redis(options.url, options.redisOptions ?? {});
    for (const client of [this.#writer, this.#reader]) client.on('error', (error: Error) => this.#onError(error));
    this.#writer.defineCommand('hrlAppendEvents', { numberOfKeys: 4, lua: APPEND_EVENTS_LUA });
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
    // A full page may have more after it: the latest seq is asked for, not guessed from the page.
    const latestSeq = events.length > 0 && events.length < limit ? events[events.length - 1].seq : await this.#store.lastSeq(runId);
    if (events.length > 0) return { events, complete: events[0].seq === from, latestSeq };
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
    if (tail) await this.#readPast(tail[0]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#listeners.clear();
    this.#reader.disconnect();
    await this.#consumer;
    await this.#writer.quit().catch(() => this.#writer.disconnect());
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
    // The last seq each run had before this batch: where a run without a Redis counter starts.
    const floors = new Map<string, number>();
    let prepared = await this.#prepare(batch, floors);
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
          prepared = await this.#prepare(
            prepared.map(({ pending }) => pending),
            floors
          );
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
      const group = byRun.get(runId);
      if (group) group.push(item);
      else byRun.set(runId, [item]);
    }
    let streamedUpTo: string;
    try {
      streamedUpTo = await this.#stream(byRun, floors);
    } catch (error) {
      // Stored but not streamed: the run's next publish (here or elsewhere) streams these first.
      for (const { pending } of prepared) pending.reject(error);
      return;
    }
    // Resolved once this instance has delivered them; the next batch need not wait for that.
    void this.#readPast(streamedUpTo).then(() => {
      for (const { pending, message } of prepared) pending.resolve(message);
    });
  }

  /** Numbers, validates and serializes each request; invalid ones are rejected without consuming a seq. */
  async #prepare(pendings: Pending[], floors: Map<string, number>): Promise<Prepared[]> {
    const prepared: Prepared[] = [];
    for (const pending of pendings) {
      const runId = pending.request.run_id;
      try {
        const last = this.#seqs.get(runId) ?? (await this.#store.lastSeq(runId));
        if (!floors.has(runId)) floors.set(runId, last);
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
  /** Returns the id of a delivery-stream entry at or after every one of these events. */
  async #stream(byRun: Map<string, Prepared[]>, floors: Map<string, number>): Promise<string> {
    let streamedUpTo = '0-0';
    let todo = [...byRun].map(([runId, group]) => ({ runId, messages: group.map((p) => p.message) }));
    for (let round = 0; todo.length > 0; round++) {
      const pipeline = this.#writer.pipeline();
      for (const { runId, messages } of todo) pipeline.hrlAppendEvents(...this.#appendArgs(runId, floors.get(runId) ?? 0, messages));
      const results = (await pipeline.exec()) ?? [];
      const next: typeof todo = [];
      for (const [i, { runId, messages }] of todo.entries()) {
        const [error, reply] = results[i] ?? [new Error('no reply from Redis')];
        if (error) throw error;
        const [counter, tailId] = reply as [number, string];
        if (compareIds(tailId, streamedUpTo) > 0) streamedUpTo = tailId;
        const first = messages[0].event.seq;
        const streamed = Number(counter);
        if (streamed >= messages[messages.length - 1].event.seq) continue;
        if (round >= MAX_REPAIR_ROUNDS) {
          throw new Error(`run ${runId}: events ${streamed + 1}..${first - 1} are stored but could not be streamed`);
        }
        const missing = await this.#store.readEvents(runId, streamed, first - 1 - streamed);
        const scenario = messages[0].scenario_name;
        next.push({ runId, messages: [...missing.map((event) => messageOf(event, scenario)), ...messages] });
      }
      todo = next;
    }
    return streamedUpTo;
  }

  #appendArgs(runId: string, floor: number, messages: BusMessage[]): Array<string | number | Buffer> {
    const args: Array<string | number | Buffer> = [
      this.#deliveryKey,
      this.#counterKey(runId),
      this.#historyKey(runId),
      this.#activeRunsKey,
      this.#deliveryLength,
      this.#replayWindow,
      this.#ttlSeconds,
      runId,
      floor
    ];
    for (const m of messages) args.push(m.event.seq, m.scenario_name, m.frame);
    return args;
  }

  async #consume(): Promise<void> {
    while (!this.#closed) {
      try {
        const reply = await this.#reader.xreadBuffer('COUNT', READ_BATCH, 'BLOCK', 0, 'STREAMS', this.#deliveryKey, this.#lastId);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            await this.#receive(id.toString(), fields);
            this.#lastId = id.toString();
          }
        }
      } catch (error) {
        // Redis or the store failed mid-read: read again from the last entry handled.
        if (this.#closed) return;
        this.#onError(error as Error);
        await delay(READ_RETRY_MS);
      }
      this.#wakeProgressWaiters();
    }
  }

  async #receive(id: string, fields: Buffer[]): Promise<void> {
    if (fieldOf(fields, 'p').toString() !== this.#lastId) await this.#catchUp(this.#lastId, id);
    const runId = fieldOf(fields, 'r').toString();
    const seq = Number(fieldOf(fields, 'q').toString());
    const scenario = fieldOf(fields, 's').toString();
    const delivered = this.#delivered.get(runId);
    if (delivered !== undefined) {
      if (seq <= delivered) return; // already delivered, from a refill
      if (seq > delivered + 1) await this.#refill(runId, delivered, seq - 1, scenario);
    }
    const frame = fieldOf(fields, 'f');
    this.#deliver({ event: parseEvent(frame), scenario_name: scenario, frame });
  }

  /**
   * Trimming took delivery-stream entries after `position` before this reader got to them
   * (it fell further behind than deliveryStreamLength): delivers, run by run and in seq
   * order, what the runs active since then streamed between `position` and entry `next`.
   */
  async #catchUp(position: string, next: string): Promise<void> {
    const runs = await this.#writer.zrangebyscore(this.#activeRunsKey, position.slice(0, position.indexOf('-')), '+inf');
    for (const runId of runs) {
      const history = await this.#writer.xrange(this.#historyKey(runId), '-', '+');
      for (const [historyId, fields] of history) {
        const deliveryId = fieldOf(fields, 'd');
        if (compareIds(deliveryId, position) <= 0 || compareIds(deliveryId, next) >= 0) continue;
        const seq = parseSeq(historyId);
        const scenario = fieldOf(fields, 's');
        const delivered = this.#delivered.get(runId);
        if (delivered !== undefined && seq <= delivered) continue;
        if (delivered !== undefined && seq > delivered + 1) await this.#refill(runId, delivered, seq - 1, scenario);
        this.#deliver(messageOf(parseEvent(fieldOf(fields, 'f')), scenario));
      }
    }
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
  }

  /** Resolves once this instance's reader has handled delivery-stream entry `id` (or closed). */
  #readPast(id: string): Promise<void> {
    if (compareIds(this.#lastId, id) >= 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#progressWaiters.push({ id, resolve }));
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

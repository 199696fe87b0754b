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

interface Pending {
  request: PublishRequest;
  resolve: (m: BusMessage) => void;
  reject: (e: unknown) => void;
}

export interface MemoryBusOptions {
  store: EventStore;
  /** Events kept in memory per run, so recent resumes need no storage read. */
  replayWindow?: number;
  /** Runs whose recent events are kept in memory (least recently published are dropped). */
  maxRunsInMemory?: number;
  /** Waits between attempts to store a batch while the database is busy or locked. */
  retryDelaysMs?: number[];
}

/**
 * In-process bus. Publishes are queued and processed in batches: each batch is
 * validated, serialized, persisted in one transaction, then delivered in order.
 */
export class MemoryEventBus implements EventBus {
  readonly #store: EventStore;
  readonly #replayWindow: number;
  readonly #maxRuns: number;
  readonly #retryDelaysMs: number[];
  readonly #listeners = new Set<BusListener>();
  readonly #seqs = new Map<string, number>();
  /** Recent delivered messages per run; Map order doubles as least-recently-published order. */
  readonly #recent = new Map<string, BusMessage[]>();
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;

  constructor(options: MemoryBusOptions) {
    this.#store = options.store;
    this.#replayWindow = options.replayWindow ?? 1000;
    this.#maxRuns = options.maxRunsInMemory ?? 256;
    this.#retryDelaysMs = options.retryDelaysMs ?? DEFAULT_STORE_RETRY_DELAYS_MS;
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
    const recent = this.#recent.get(runId);
    if (recent && recent.length > 0 && recent[0].event.seq <= afterSeq + 1) {
      const start = afterSeq + 1 - recent[0].event.seq;
      const events = recent.slice(start, start + limit).map((m) => m.event);
      return { events, complete: true, latestSeq: recent[recent.length - 1].event.seq };
    }
    const events = await this.#store.readEvents(runId, afterSeq, limit);
    // A full page may have more after it: the latest seq is asked for, not guessed from the page.
    const latestSeq = events.length > 0 && events.length < limit ? events[events.length - 1].seq : await this.#store.lastSeq(runId);
    if (events.length > 0) return { events, complete: events[0].seq === afterSeq + 1, latestSeq };
    return { events, complete: latestSeq <= afterSeq, latestSeq };
  }

  async lastSeq(runId: string): Promise<number> {
    return this.#seqs.get(runId) ?? (await this.#store.lastSeq(runId));
  }

  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    this.#listeners.clear();
    this.#recent.clear();
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
    const accepted: Array<{ pending: Pending; message: BusMessage }> = [];
    for (const pending of batch) {
      try {
        accepted.push({ pending, message: await this.#prepare(pending.request) });
      } catch (error) {
        pending.reject(error);
      }
    }
    if (accepted.length === 0) return;
    try {
      await this.#persist(accepted.map(({ message }) => ({ event: message.event, scenario_name: message.scenario_name })));
    } catch (error) {
      // Nothing of this batch was stored, so nothing is delivered; give the numbers back.
      for (const { pending, message } of accepted.reverse()) {
        this.#seqs.set(message.event.run_id, message.event.seq - 1);
        pending.reject(error);
      }
      return;
    }
    for (const { pending, message } of accepted) {
      this.#remember(message);
      for (const listener of this.#listeners) {
        try {
          listener(message);
        } catch {
          // A failing listener must not stop delivery to the others.
        }
      }
      pending.resolve(message);
    }
  }

  #persist(rows: Array<{ event: RunEvent; scenario_name: string }>): Promise<void> {
    return appendWithRetry(this.#store, rows, this.#retryDelaysMs);
  }

  async #prepare(request: PublishRequest): Promise<BusMessage> {
    const runId = request.run_id;
    const last = this.#seqs.get(runId) ?? (await this.#store.lastSeq(runId));
    const message = buildMessage(request, last + 1);
    this.#seqs.set(runId, message.event.seq);
    return message;
  }

  #remember(message: BusMessage): void {
    const runId = message.event.run_id;
    let recent = this.#recent.get(runId);
    if (recent) {
      this.#recent.delete(runId); // re-insert: most recently published last
    } else {
      recent = [];
      if (this.#recent.size >= this.#maxRuns) {
        const oldest = this.#recent.keys().next().value as string;
        this.#recent.delete(oldest);
        this.#seqs.delete(oldest);
      }
    }
    recent.push(message);
    // Trimmed in chunks (amortised O(1) per event); up to twice the window may be held.
    if (recent.length >= 2 * this.#replayWindow) recent.splice(0, recent.length - this.#replayWindow);
    this.#recent.set(runId, recent);
  }
}

import { AsyncQueue } from './async-queue.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { toHttpBase, toWsUrl } from './urls.js';
import { isTerminal, type ClientMessage, type ErrorCode, type Run, type RunEvent, type ServerMessage } from './types.js';

/** The part of the WebSocket API the client uses: the browser's and `ws` both fit. */
// Handler parameters are `any` so that both the DOM's and `ws`'s event classes fit.
export interface WebSocketLike {
  readonly readyState: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onopen: ((event: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onmessage: ((event: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onclose: ((event: any) => void) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientOptions {
  /** Service base URL (`http://host:8000`) or socket URL (`ws://host:8000/ws`). */
  url: string;
  /** Bearer token, sent as `?token=` (browsers cannot set headers on a WebSocket). */
  token?: string;
  /** Creates sockets; default: the global WebSocket, else the `ws` package (Node 20). */
  webSocket?: WebSocketFactory;
  /** Automatic reconnect (on by default) with jittered exponential backoff. */
  reconnect?: BackoffOptions & { enabled?: boolean };
  /** Application-level ping period (default 15 000 ms); a missing pong drops the socket. */
  pingIntervalMs?: number;
  /** How long to wait for a pong (or any frame) before the socket counts as dead (default 10 000 ms). */
  pongTimeoutMs?: number;
  /** Used to look up a run's scenario for scenario subscriptions; default global fetch. */
  fetch?: typeof fetch;
}

/** `{ run_id }`: one run; `{ scenario_name }`: every run of a scenario; `{}`: every run. */
export type SubscriptionFilter = { run_id: string; scenario_name?: never } | { scenario_name: string; run_id?: never } | { run_id?: never; scenario_name?: never };

export interface SubscribeOptions {
  /**
   * Where a run subscription starts: `'start'` replays the whole run (default, so a
   * finished run still ends the iterator), `'live'` only new events, or a seq to resume after.
   * Scenario and all-run subscriptions are always live.
   */
  from?: 'start' | 'live' | number;
}

/** The server could not resume a run without a gap: events after `last_seq` may be missing. Reload over REST. */
export interface ResyncInfo {
  run_id: string;
  resumed: false;
  last_seq: number;
}

export interface SubscriptionHandlers {
  onEvent(event: RunEvent): void;
  /** Called when a reconnect could not resume the run without a gap (`resumed: false`). */
  onResync?(info: ResyncInfo): void;
  /** The subscription was refused (e.g. `unknown_run`); it is closed. */
  onError?(error: HrlClientError): void;
  /** A run subscription delivered its terminal event, or the client closed. */
  onEnd?(): void;
}

export interface Subscription {
  readonly filter: SubscriptionFilter;
  /** Resolves on the first `subscription_confirmed`; rejects when the subscription is refused. */
  readonly ready: Promise<void>;
  close(): void;
}

/** An async iterator over a run's events that also offers `close()`. */
export interface RunEventStream extends AsyncIterableIterator<RunEvent> {
  readonly subscription: Subscription;
  close(): void;
}

export class HrlClientError extends Error {
  override name = 'HrlClientError';
  constructor(readonly code: ErrorCode | 'closed' | 'connection_failed', message: string) {
    super(message);
  }
}

export interface ClientEvents {
  open: { reconnected: boolean; session_id: string };
  close: { code: number; reason: string };
  reconnecting: { attempt: number; delay_ms: number };
  resync: ResyncInfo;
  state: ConnectionState;
  error: HrlClientError;
}

interface RunTrack {
  last: number | undefined;
  pending: Map<number, RunEvent>;
  done: boolean;
}

interface LocalSub {
  readonly filter: SubscriptionFilter;
  readonly handlers: SubscriptionHandlers;
  readonly initialLast: number | undefined;
  readonly tracks: Map<string, RunTrack>;
  closed: boolean;
  confirm: { resolve: () => void; reject: (e: unknown) => void; settled: boolean };
}

interface PendingRequest {
  key: string;
  runId?: string;
  since?: number;
  retries: number;
}

const OPEN = 1;
/** Out-of-order events held per run while a gap is being refilled; beyond this the gap is accepted. */
const MAX_PENDING = 10_000;

const keyOf = (filter: SubscriptionFilter): string =>
  filter.run_id !== undefined ? `run:${filter.run_id}` : filter.scenario_name !== undefined ? `scenario:${filter.scenario_name}` : 'all';

/**
 * Typed client of the `/ws` protocol (docs/protocol.md §1). Every run subscription resumes
 * after a reconnect from the last seq delivered to the caller, so callers see each run's
 * events once, in order, with no gap; when the server cannot fill a gap it says
 * `resumed: false` and the client reports it (`onResync`, `resync` event).
 */
export class HrlClient {
  readonly #options: ClientOptions;
  readonly #wsUrl: string;
  readonly #httpBase: string;
  readonly #subs = new Set<LocalSub>();
  readonly #listeners = new Map<keyof ClientEvents, Set<(value: never) => void>>();
  readonly #pending = new Map<string, PendingRequest>();
  /** Filters the server holds for this connection. */
  readonly #serverFilters = new Set<string>();
  /** Runs re-subscribed by id after a reconnect to refill what scenario/all subscriptions missed. */
  readonly #gapFill = new Set<string>();
  readonly #scenarioOf = new Map<string, string | Promise<string | undefined>>();
  readonly #pongWaiters = new Map<string, () => void>();
  #socket: WebSocketLike | undefined;
  #state: ConnectionState = 'idle';
  #attempt = 0;
  #everOpen = false;
  #nextId = 1;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #awaitingSince = 0;
  #chain: Promise<void> = Promise.resolve();
  #openWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #sessionId = '';

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#wsUrl = toWsUrl(options.url, options.token);
    this.#httpBase = toHttpBase(options.url);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Opens the socket (subscribing does this too). Resolves on `connection_established`; retries until then. */
  connect(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new HrlClientError('closed', 'the client is closed'));
    if (this.#state === 'open') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
    if (this.#state === 'idle') void this.#open();
    return promise;
  }

  /** Callback API: `handlers.onEvent` gets each event of the matching runs once, in seq order per run. */
  subscribe(filter: SubscriptionFilter, handlers: SubscriptionHandlers, options: SubscribeOptions = {}): Subscription {
    if (this.#state === 'closed') throw new HrlClientError('closed', 'the client is closed');
    const from = options.from ?? (filter.run_id !== undefined ? 'start' : 'live');
    let confirm!: LocalSub['confirm'];
    const ready = new Promise<void>((resolve, reject) => (confirm = { resolve, reject, settled: false }));
    ready.catch(() => undefined); // a refusal also reaches onError; an unobserved `ready` must not crash the process
    const sub: LocalSub = {
      filter,
      handlers,
      initialLast: filter.run_id === undefined || from === 'live' ? undefined : from === 'start' ? 0 : from,
      tracks: new Map(),
      closed: false,
      confirm
    };
    this.#subs.add(sub);
    if (this.#state === 'idle') void this.connect().catch(() => undefined);
    else if (this.#state === 'open') this.#sendSubscribe(keyOf(filter), filter.run_id !== undefined ? this.#sinceFor(filter.run_id) : undefined);
    return { filter, ready, close: () => this.#closeSub(sub) };
  }

  /** Async iterator over one run's events; it ends after the run's terminal event. */
  run(runId: string, options: SubscribeOptions & { onResync?: (info: ResyncInfo) => void } = {}): RunEventStream {
    return this.#stream({ run_id: runId }, options);
  }

  /** Async iterator over every run of a scenario (live); ends when closed or on `break`. */
  scenario(scenarioName: string, options: { onResync?: (info: ResyncInfo) => void } = {}): RunEventStream {
    return this.#stream({ scenario_name: scenarioName }, options);
  }

  /** Async iterator over every run (live); ends when closed or on `break`. */
  all(options: { onResync?: (info: ResyncInfo) => void } = {}): RunEventStream {
    return this.#stream({}, options);
  }

  /**
   * Skips the rest of the current backoff wait and tries to reconnect now, starting the
   * backoff again from its first step: for a moment when the peer is likely back (a page
   * regaining focus, the network returning). Does nothing unless a reconnect is waiting.
   */
  reconnectNow(): void {
    if (this.#state !== 'reconnecting' || this.#socket !== undefined) return;
    clearTimeout(this.#reconnectTimer);
    this.#attempt = 0;
    void this.#open();
  }

  /** Round trip of an application-level ping, in ms. */
  async ping(): Promise<number> {
    await this.connect();
    const id = `p${this.#nextId++}`;
    const started = Date.now();
    await new Promise<void>((resolve) => {
      this.#pongWaiters.set(id, resolve);
      this.#send({ type: 'ping', request_id: id });
    });
    return Date.now() - started;
  }

  /** Closes the socket (1000) and ends every subscription; no reconnect after this. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    clearTimeout(this.#reconnectTimer);
    this.#stopPing();
    for (const waiter of this.#openWaiters.splice(0)) waiter.reject(new HrlClientError('closed', 'the client was closed'));
    for (const sub of [...this.#subs]) this.#endSub(sub);
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      socket.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onmessage = null;
      socket.onerror = () => undefined;
      try {
        socket.close(1000, 'client closed');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  // ---- subscriptions ---------------------------------------------------------------

  #stream(filter: SubscriptionFilter, options: SubscribeOptions & { onResync?: (info: ResyncInfo) => void }): RunEventStream {
    let subscription: Subscription | undefined;
    const queue = new AsyncQueue<RunEvent>(() => subscription?.close());
    subscription = this.subscribe(
      filter,
      {
        onEvent: (event) => queue.push(event),
        onResync: options.onResync,
        onError: (error) => queue.fail(error),
        onEnd: () => queue.end()
      },
      options
    );
    const sub = subscription;
    return Object.assign(queue, {
      subscription: sub,
      close: () => {
        sub.close();
        queue.end();
      }
    });
  }

  #closeSub(sub: LocalSub): void {
    if (sub.closed) return;
    this.#endSub(sub);
    this.#dropUnneededFilters();
  }

  #endSub(sub: LocalSub): void {
    if (sub.closed) return;
    sub.closed = true;
    this.#subs.delete(sub);
    if (!sub.confirm.settled) {
      sub.confirm.settled = true;
      sub.confirm.resolve();
    }
    sub.handlers.onEnd?.();
  }

  /** Filters this client needs from the server: key → run id for resumable run filters. */
  #neededFilters(): Map<string, string | undefined> {
    const needed = new Map<string, string | undefined>();
    for (const sub of this.#subs) {
      const runId = sub.filter.run_id;
      if (runId !== undefined && sub.tracks.get(runId)?.done) continue;
      needed.set(keyOf(sub.filter), runId);
    }
    for (const runId of this.#gapFill) needed.set(`run:${runId}`, runId);
    return needed;
  }

  #dropUnneededFilters(): void {
    if (this.#state !== 'open') return;
    const needed = this.#neededFilters();
    for (const key of [...this.#serverFilters]) {
      if (needed.has(key)) continue;
      this.#serverFilters.delete(key);
      this.#send({ type: 'unsubscribe_training', ...filterFromKey(key) });
    }
  }

  /** The seq to resume a run after: the least any interested subscription has seen. */
  #sinceFor(runId: string): number | undefined {
    let since: number | undefined;
    for (const sub of this.#subs) {
      const track = sub.tracks.get(runId);
      const last = track ? (track.done ? undefined : track.last) : sub.filter.run_id === runId ? sub.initialLast : undefined;
      if (last !== undefined && (since === undefined || last < since)) since = last;
    }
    return since;
  }

  #sendSubscribe(key: string, since: number | undefined, retries = 0): void {
    const id = `s${this.#nextId++}`;
    const filter = filterFromKey(key);
    this.#pending.set(id, { key, runId: filter.run_id, since, retries });
    this.#serverFilters.add(key);
    this.#send({ type: 'subscribe_training', request_id: id, ...filter, ...(since !== undefined && { since_seq: since }) });
  }

  /** After (re)connecting: run filters first (each resuming from its last seq), then scenario/all filters. */
  #resubscribeAll(): void {
    this.#serverFilters.clear();
    if (this.#everOpen) {
      // Scenario/all subscriptions missed whatever happened while disconnected: refill
      // each run they were following by resuming it by id until its terminal event.
      for (const sub of this.#subs) {
        if (sub.filter.run_id !== undefined) continue;
        for (const [runId, track] of sub.tracks) if (!track.done && track.last !== undefined) this.#gapFill.add(runId);
      }
    }
    const needed = this.#neededFilters();
    const ordered = [...needed].sort(([, a], [, b]) => (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0));
    for (const [key, runId] of ordered) this.#sendSubscribe(key, runId !== undefined ? this.#sinceFor(runId) : undefined);
  }

  // ---- inbound -----------------------------------------------------------------------

  #onFrame(raw: unknown): void {
    this.#awaitingSince = 0;
    let message: ServerMessage;
    try {
      message = JSON.parse(typeof raw === 'string' ? raw : String(raw)) as ServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'connection_established':
        this.#sessionId = message.session_id;
        this.#attempt = 0;
        this.#setState('open');
        this.#resubscribeAll();
        this.#startPing();
        this.#emit('open', { reconnected: this.#everOpen, session_id: message.session_id });
        this.#everOpen = true;
        for (const waiter of this.#openWaiters.splice(0)) waiter.resolve();
        return;
      case 'subscription_confirmed': {
        const request = message.request_id !== undefined ? this.#pending.get(message.request_id) : undefined;
        if (message.request_id !== undefined) this.#pending.delete(message.request_id);
        if (request) this.#enqueue(() => this.#confirmed(request, message.resumed));
        return;
      }
      case 'unsubscribed':
        return;
      case 'pong': {
        const waiter = message.request_id !== undefined ? this.#pongWaiters.get(message.request_id) : undefined;
        if (waiter) {
          this.#pongWaiters.delete(message.request_id!);
          waiter();
        }
        return;
      }
      case 'error': {
        const error = new HrlClientError(message.code, message.message);
        const request = message.request_id !== undefined ? this.#pending.get(message.request_id) : undefined;
        if (request) {
          this.#pending.delete(message.request_id!);
          this.#enqueue(() => this.#refused(request, error));
        } else this.#emit('error', error);
        return;
      }
      default:
        if ('run_id' in message && 'seq' in message) {
          const event = message;
          this.#enqueue(() => this.#route(event));
        }
    }
  }

  /** Inbound work runs in arrival order; a scenario lookup over REST may make one step async. */
  #enqueue(step: () => void | Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error: unknown) => this.#emit('error', asClientError(error)));
  }

  #confirmed(request: PendingRequest, resumed: boolean): void {
    for (const sub of this.#subs) {
      if (keyOf(sub.filter) === request.key && !sub.confirm.settled) {
        sub.confirm.settled = true;
        sub.confirm.resolve();
      }
    }
    if (request.runId === undefined || request.since === undefined || resumed) return;
    // The server no longer holds the events after `since`: accept the gap and say so.
    const runId = request.runId;
    for (const sub of [...this.#subs]) {
      const track = sub.tracks.get(runId) ?? (sub.filter.run_id === runId ? this.#track(sub, runId) : undefined);
      if (!track || track.done) continue;
      const info: ResyncInfo = { run_id: runId, resumed: false, last_seq: track.last ?? 0 };
      const held = [...track.pending.values()].sort((a, b) => a.seq - b.seq);
      track.pending.clear();
      track.last = undefined;
      safely(() => sub.handlers.onResync?.(info), (e) => this.#emit('error', e));
      for (const event of held) this.#offer(sub, track, event);
    }
    this.#emit('resync', { run_id: runId, resumed: false, last_seq: request.since });
  }

  #refused(request: PendingRequest, error: HrlClientError): void {
    if (error.code === 'invalid_request' && request.runId !== undefined && request.since !== undefined && request.retries < 5) {
      // Another resume of the same run is still replaying (two subscriptions of one run
      // made at once): ask again shortly; the seq filter drops whatever is seen twice.
      const runId = request.runId;
      setTimeout(() => {
        if (this.#state === 'open') this.#sendSubscribe(request.key, this.#sinceFor(runId), request.retries + 1);
      }, 50 * (request.retries + 1));
      return;
    }
    this.#serverFilters.delete(request.key);
    if (request.runId !== undefined) this.#gapFill.delete(request.runId);
    for (const sub of [...this.#subs]) {
      if (keyOf(sub.filter) !== request.key) continue;
      if (!sub.confirm.settled) {
        sub.confirm.settled = true;
        sub.confirm.reject(error);
      }
      safely(() => sub.handlers.onError?.(error), (e) => this.#emit('error', e));
      this.#endSub(sub);
    }
  }

  async #route(event: RunEvent): Promise<void> {
    if ('scenario_name' in event.data) this.#scenarioOf.set(event.run_id, event.data.scenario_name);
    let scenario: string | undefined;
    for (const sub of [...this.#subs]) {
      if (sub.closed) continue;
      if (sub.filter.run_id !== undefined) {
        if (sub.filter.run_id !== event.run_id) continue;
      } else if (sub.filter.scenario_name !== undefined) {
        scenario ??= await this.#lookupScenario(event.run_id);
        if (sub.filter.scenario_name !== scenario) continue;
      }
      this.#offer(sub, sub.tracks.get(event.run_id) ?? this.#track(sub, event.run_id), event);
    }
    if (isTerminal(event) && this.#gapFill.delete(event.run_id)) this.#dropUnneededFilters();
  }

  #track(sub: LocalSub, runId: string): RunTrack {
    const track: RunTrack = { last: sub.filter.run_id === runId ? sub.initialLast : undefined, pending: new Map(), done: false };
    sub.tracks.set(runId, track);
    return track;
  }

  /** Delivers in seq order exactly once; holds events that arrive ahead of a gap being refilled. */
  #offer(sub: LocalSub, track: RunTrack, event: RunEvent): void {
    if (track.done || sub.closed) return;
    if (track.last !== undefined && event.seq <= track.last) return;
    if (track.last !== undefined && event.seq !== track.last + 1) {
      track.pending.set(event.seq, event);
      if (track.pending.size <= MAX_PENDING) return;
      // The gap is not coming back: deliver what is held, in order.
      const held = [...track.pending.values()].sort((a, b) => a.seq - b.seq);
      track.pending.clear();
      for (const e of held) this.#deliver(sub, track, e);
      return;
    }
    this.#deliver(sub, track, event);
    for (let next = track.pending.get(track.last! + 1); next; next = track.pending.get(track.last! + 1)) {
      track.pending.delete(next.seq);
      this.#deliver(sub, track, next);
    }
  }

  #deliver(sub: LocalSub, track: RunTrack, event: RunEvent): void {
    if (track.done || sub.closed) return;
    track.last = event.seq;
    safely(() => sub.handlers.onEvent(event), (e) => this.#emit('error', e));
    if (!isTerminal(event)) return;
    track.done = true;
    track.pending.clear();
    if (sub.filter.run_id !== undefined) {
      this.#endSub(sub);
      this.#dropUnneededFilters();
    }
  }

  #lookupScenario(runId: string): Promise<string | undefined> | string | undefined {
    const known = this.#scenarioOf.get(runId);
    if (known !== undefined) return known;
    const fetchImpl = this.#options.fetch ?? globalThis.fetch;
    const lookup = fetchImpl(`${this.#httpBase}/api/training/runs/${encodeURIComponent(runId)}`, {
      headers: this.#options.token ? { authorization: `Bearer ${this.#options.token}` } : {}
    })
      .then(async (res) => (res.ok ? ((await res.json()) as Run).scenario_name : undefined))
      .catch(() => undefined)
      .then((name) => {
        if (name === undefined) this.#scenarioOf.delete(runId);
        else this.#scenarioOf.set(runId, name);
        return name;
      });
    this.#scenarioOf.set(runId, lookup);
    return lookup;
  }

  // ---- connection ----------------------------------------------------------------------

  async #open(): Promise<void> {
    this.#setState(this.#everOpen ? 'reconnecting' : 'connecting');
    let socket: WebSocketLike;
    try {
      const factory = this.#options.webSocket ?? (await defaultWebSocketFactory());
      if (this.#state === 'closed') return;
      socket = factory(this.#wsUrl);
    } catch (error) {
      this.#emit('error', new HrlClientError('connection_failed', `cannot open ${this.#wsUrl}: ${(error as Error).message}`));
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onmessage = (event: { data: unknown }) => this.#onFrame(event.data);
    socket.onerror = () => undefined; // the close that follows drives the reconnect
    socket.onclose = (event: { code: number; reason: string }) => {
      if (this.#socket !== socket) return;
      this.#emit('close', { code: event.code, reason: event.reason });
      this.#lost();
    };
  }

  /** The socket is gone (closed, failed to open, or found dead): reconnect unless closed by the caller. */
  #lost(): void {
    this.#socket = undefined;
    this.#stopPing();
    this.#pending.clear();
    this.#serverFilters.clear();
    for (const waiter of this.#pongWaiters.values()) waiter();
    this.#pongWaiters.clear();
    if (this.#state === 'closed') return;
    if (this.#options.reconnect?.enabled === false) {
      const error = new HrlClientError('connection_failed', 'the connection was lost and reconnect is disabled');
      for (const waiter of this.#openWaiters.splice(0)) waiter.reject(error);
      for (const sub of [...this.#subs]) {
        safely(() => sub.handlers.onError?.(error), () => undefined);
        this.#endSub(sub);
      }
      this.#setState('closed');
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed') return;
    const delay = backoffDelay(this.#attempt++, this.#options.reconnect);
    this.#setState('reconnecting');
    this.#emit('reconnecting', { attempt: this.#attempt, delay_ms: delay });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#open(), delay);
  }

  #startPing(): void {
    this.#stopPing();
    const interval = this.#options.pingIntervalMs ?? 15_000;
    const timeout = this.#options.pongTimeoutMs ?? 10_000;
    this.#pingTimer = setInterval(() => {
      const socket = this.#socket;
      if (!socket) return;
      if (this.#awaitingSince !== 0 && Date.now() - this.#awaitingSince >= timeout) {
        // No frame since the last ping: the peer or the path is dead. Drop it and reconnect.
        this.#socket = undefined;
        socket.onclose = socket.onmessage = null;
        terminate(socket);
        this.#emit('close', { code: 4000, reason: 'pong timeout' });
        this.#lost();
        return;
      }
      if (this.#awaitingSince === 0) {
        this.#awaitingSince = Date.now();
        this.#send({ type: 'ping', request_id: `hb${this.#nextId++}` });
      }
    }, Math.min(interval, timeout));
    (this.#pingTimer as { unref?: () => void }).unref?.();
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#awaitingSince = 0;
  }

  #send(message: ClientMessage): void {
    const socket = this.#socket;
    if (socket && socket.readyState === OPEN) socket.send(JSON.stringify(message));
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit('state', state);
  }

  #emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (v: ClientEvents[K]) => void)(value);
      } catch {
        // a throwing listener must not break the connection
      }
    }
  }
}

function filterFromKey(key: string): { run_id?: string; scenario_name?: string } {
  if (key.startsWith('run:')) return { run_id: key.slice(4) };
  if (key.startsWith('scenario:')) return { scenario_name: key.slice(9) };
  return {};
}

function safely(fn: () => void, onError: (error: HrlClientError) => void): void {
  try {
    fn();
  } catch (error) {
    onError(asClientError(error));
  }
}

function asClientError(error: unknown): HrlClientError {
  return error instanceof HrlClientError ? error : new HrlClientError('internal_error', (error as Error)?.message ?? String(error));
}

function terminate(socket: WebSocketLike): void {
  const withTerminate = socket as WebSocketLike & { terminate?: () => void };
  try {
    if (withTerminate.terminate) withTerminate.terminate();
    else socket.close(4000, 'pong timeout');
  } catch {
    // already closed
  }
}

let nodeFactory: Promise<WebSocketFactory> | undefined;

/** The global WebSocket (browsers, Node 22+), else the `ws` package, loaded only when needed. */
function defaultWebSocketFactory(): Promise<WebSocketFactory> | WebSocketFactory {
  const Native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Native) return (url) => new Native(url);
  // A variable specifier keeps browser bundlers from trying to bundle `ws`.
  const specifier = 'ws';
  nodeFactory ??= import(specifier).then((mod: { WebSocket?: unknown; default?: unknown }) => {
    const Ws = (mod.WebSocket ?? mod.default) as new (url: string) => WebSocketLike;
    return (url: string) => new Ws(url);
  });
  return nodeFactory;
}

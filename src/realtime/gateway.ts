import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import type { BusMessage, EventBus } from '../bus/event-bus.js';
import type { ClientMessage, SubscribeTraining, UnsubscribeTraining } from '../contracts/client-messages.js';
import { PROTOCOL_VERSION, type ErrorCode, type RunEvent, type SessionMessage } from '../contracts/events.js';
import { parseClientFrame } from './inbound.js';
import { sendPrebuilt, textFrame } from './prebuilt-frame.js';
import { TokenBucket, WindowCounter } from './limits.js';
import { filterKey, SubscriptionIndex, type Filter, type Subscriber } from './subscriptions.js';

export interface GatewayOptions {
  bus: EventBus;
  /** Whether a run id is known (in storage); subscribing to an unknown run is an error. */
  runExists: (runId: string) => Promise<boolean>;
  heartbeatMs: number;
  /** Outbound bytes queued for a socket above which progress events are coalesced. */
  highWaterMark?: number;
  /** Outbound bytes queued above which a socket is closed with 4008. */
  hardCap?: number;
  /** Invalid messages per minute before the socket is closed with 4400. */
  maxInvalidPerMinute?: number;
  /** Inbound message budget: a burst of `rateBurst`, refilled at `ratePerSecond`. */
  rateBurst?: number;
  ratePerSecond?: number;
  /** Rate-limited messages per minute before the socket is closed with 4429. */
  maxRateLimitedPerMinute?: number;
  /** A socket that stays above the high-water mark this long is closed with 4008. */
  stallMs?: number;
  /** Open sockets in total (503 at upgrade beyond) and per client address (429 beyond). */
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  /** Subscription filters one socket may hold; one more gets `too_many_subscriptions`. */
  maxSubscriptions?: number;
}

type WithoutTs<T> = T extends unknown ? Omit<T, 'ts'> : never;

const OPEN = 1;
const TEXT = { binary: false } as const;
/**
 * Events read from storage and written per step of a replay. The socket's queue must be
 * under the high-water mark before each page, so a replay holds at most about one page
 * (≈ 170 KB of progress frames) beyond it.
 */
export const REPLAY_PAGE = 500;

/** A replay of one run on one connection; a newer resume of that run cancels it. */
interface Replay {
  cancelled: boolean;
  /** Highest seq of this run delivered live (and withheld from this client) while replaying. */
  liveSeq: number;
}

class Client implements Subscriber {
  lastStamp = 0;
  alive = true;
  readonly filters = new Map<string, Filter>();
  /** Runs whose history is being replayed to this client; their live events are read back after it. */
  replaying: Map<string, Replay> | null = null;
  /** Replays waiting for the socket's queue to fall under the high-water mark, and since when. */
  drainWaiters: Array<(writable: boolean) => void> = [];
  /** When the queue last shrank while replays waited, and its size then. */
  waitingSince = 0;
  waitingQueued = 0;
  /** Latest progress per run withheld while the socket is congested. */
  coalesced: Map<string, BusMessage> | null = null;
  /** When the socket last went above the high-water mark (0: not congested). */
  congestedSince = 0;
  readonly invalid = new WindowCounter(60_000);
  readonly rateLimited = new WindowCounter(60_000);
  readonly bucket: TokenBucket;

  constructor(
    readonly ws: WebSocket,
    readonly sessionId: string,
    readonly ip: string,
    burst: number,
    rate: number
  ) {
    this.bucket = new TokenBucket(burst, rate, Date.now());
  }
}

export interface GatewayStats {
  clients: number;
  congested: number;
  /** Resumes whose replay is still being sent. */
  replays: number;
  subscriptions: { all: number; runs: number; scenarios: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: { stats(): GatewayStats };
  }
}

/** The `/ws` endpoint of docs/protocol.md: sessions, subscriptions, resume, heartbeat, limits. */
const gateway: FastifyPluginAsync<GatewayOptions> = async (app: FastifyInstance, opts) => {
  const hwm = opts.highWaterMark ?? 1024 * 1024;
  const hardCap = opts.hardCap ?? 8 * 1024 * 1024;
  const maxInvalid = opts.maxInvalidPerMinute ?? 20;
  const burst = opts.rateBurst ?? 100;
  const rate = opts.ratePerSecond ?? 50;
  const maxRateLimited = opts.maxRateLimitedPerMinute ?? 200;
  const stallMs = opts.stallMs ?? 30_000;
  const maxConnections = opts.maxConnections ?? 10_000;
  const maxPerIp = opts.maxConnectionsPerIp ?? 2_000;
  const maxSubscriptions = opts.maxSubscriptions ?? 100;
  const perIp = new Map<string, number>();
  const clients = new Set<Client>();
  const congested = new Set<Client>();
  const drainWaiters = new Set<Client>();
  let replays = 0;
  const index = new SubscriptionIndex<Client>();

  // ---- outbound ---------------------------------------------------------------------

  const sendSession = (client: Client, message: WithoutTs<SessionMessage>): void => {
    if (client.ws.readyState !== OPEN) return;
    // Replies count towards the hard cap too: a client that sends but never reads is closed.
    if (client.ws.bufferedAmount > hardCap) return closeSlow(client);
    // `type` and `ts` lead every frame.
    client.ws.send(JSON.stringify(Object.assign({ type: message.type, ts: new Date().toISOString() }, message)));
  };

  const sendError = (client: Client, code: ErrorCode, message: string, requestId?: string): void =>
    sendSession(client, { type: 'error', code, message, ...(requestId !== undefined && { request_id: requestId }) });

  /**
   * Closes a client that does not read. What is already queued stays queued so a client
   * that wakes up still sees the 4008; ws destroys the socket if the close handshake has
   * not finished within its closeTimeout (30 s), which bounds the memory held.
   */
  const closeSlow = (client: Client): void => {
    congested.delete(client);
    client.coalesced = null;
    releaseDrainWaiters(client, false);
    client.ws.close(4008, 'slow consumer: resume with since_seq');
  };

  const releaseDrainWaiters = (client: Client, writable: boolean): void => {
    const waiters = client.drainWaiters;
    if (waiters.length === 0) return;
    client.drainWaiters = [];
    drainWaiters.delete(client);
    for (const resolve of waiters) resolve(writable);
  };

  /**
   * Resolves true once the socket's queue is at or under the high-water mark; false when
   * the socket closed, or its queue did not shrink for the stall time (it is then closed
   * with 4008).
   */
  const whenWritable = (client: Client): Promise<boolean> => {
    if (client.ws.readyState !== OPEN) return Promise.resolve(false);
    if (client.ws.bufferedAmount <= hwm) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      if (client.drainWaiters.length === 0) {
        client.waitingSince = Date.now();
        client.waitingQueued = client.ws.bufferedAmount;
      }
      client.drainWaiters.push(resolve);
      drainWaiters.add(client);
    });
  };

  /**
   * Sends one run event to one client, honouring backpressure. `frame` is the WebSocket
   * frame built once for all recipients (null: let ws frame it, e.g. after a replay).
   */
  const sendEvent = (client: Client, message: BusMessage, frame: Buffer[] | null = null): void => {
    const ws = client.ws;
    if (ws.readyState !== OPEN) return;
    const queued = ws.bufferedAmount;
    if (queued > hardCap) {
      closeSlow(client);
      return;
    }
    const runId = message.event.run_id;
    if (message.event.type === 'training_progress') {
      if (queued > hwm || client.coalesced?.has(runId)) {
        (client.coalesced ??= new Map()).set(runId, message);
        if (!congested.has(client)) {
          congested.add(client);
          client.congestedSince = Date.now();
        }
        return;
      }
    } else {
      // A lifecycle event is never dropped; an older withheld progress of its run goes first.
      const withheld = client.coalesced?.get(runId);
      if (withheld) {
        client.coalesced!.delete(runId);
        ws.send(withheld.frame, TEXT);
      }
    }
    if (frame) sendPrebuilt(ws, frame, message.frame);
    else ws.send(message.frame, TEXT);
  };

  const deliver = (client: Client, message: BusMessage, frame: Buffer[]): void => {
    const replay = client.replaying?.get(message.event.run_id);
    // Stored before it was delivered, so the replay reads it back in order.
    if (replay) replay.liveSeq = Math.max(replay.liveSeq, message.event.seq);
    else sendEvent(client, message, frame);
  };

  // Per message: validate, serialize and frame once; per recipient: only the write.
  const unsubscribeBus = opts.bus.subscribe((message) => {
    const frame = textFrame(message.frame);
    index.forEachRecipient(message, (c) => deliver(c, message, frame));
  });

  const flushCongested = (): void => {
    const now = Date.now();
    for (const client of drainWaiters) {
      if (client.ws.readyState !== OPEN) releaseDrainWaiters(client, false);
      else if (client.ws.bufferedAmount <= hwm) releaseDrainWaiters(client, true);
      else if (client.ws.bufferedAmount < client.waitingQueued) {
        // Reading, if slowly: a replay waits on a reader as long as it makes progress.
        client.waitingSince = now;
        client.waitingQueued = client.ws.bufferedAmount;
      } else if (now - client.waitingSince > stallMs) closeSlow(client);
    }
    for (const client of congested) {
      if (client.ws.readyState !== OPEN) {
        congested.delete(client);
        continue;
      }
      if (client.ws.bufferedAmount > hwm) {
        // It may resume from its last seq; memory stays bounded meanwhile.
        if (now - client.congestedSince > stallMs) closeSlow(client);
        continue;
      }
      const pending = client.coalesced;
      client.coalesced = null;
      client.congestedSince = 0;
      congested.delete(client);
      if (pending) for (const message of pending.values()) client.ws.send(message.frame, TEXT);
    }
  };
  const congestionTimer = setInterval(flushCongested, 25);
  congestionTimer.unref();

  // One timer for every socket: a peer that missed the previous ping is terminated.
  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();

  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    clearInterval(congestionTimer);
    unsubscribeBus();
  });

  // ---- inbound ----------------------------------------------------------------------

  const filterOf = (msg: SubscribeTraining | UnsubscribeTraining): Filter =>
    msg.run_id !== undefined
      ? { kind: 'run', runId: msg.run_id }
      : msg.scenario_name !== undefined
        ? { kind: 'scenario', scenarioName: msg.scenario_name }
        : { kind: 'all' };

  const echo = (msg: SubscribeTraining | UnsubscribeTraining) => ({
    ...(msg.request_id !== undefined && { request_id: msg.request_id }),
    ...(msg.run_id !== undefined && { run_id: msg.run_id }),
    ...(msg.scenario_name !== undefined && { scenario_name: msg.scenario_name })
  });

  const subscribe = async (client: Client, msg: SubscribeTraining): Promise<void> => {
    if (msg.run_id !== undefined && msg.scenario_name !== undefined) {
      return sendError(client, 'invalid_request', 'give run_id or scenario_name, not both', msg.request_id);
    }
    if (msg.since_seq !== undefined && msg.run_id === undefined) {
      return sendError(client, 'invalid_request', 'since_seq needs run_id: resume is per run', msg.request_id);
    }
    if (msg.run_id !== undefined && !(await opts.runExists(msg.run_id))) {
      return sendError(client, 'unknown_run', `unknown run_id ${JSON.stringify(msg.run_id)}`, msg.request_id);
    }
    if (client.ws.readyState !== OPEN) return;
    const filter = filterOf(msg);
    const key = filterKey(filter);
    if (!client.filters.has(key) && client.filters.size >= maxSubscriptions) {
      return sendError(
        client,
        'too_many_subscriptions',
        `a connection holds at most ${maxSubscriptions} subscriptions; unsubscribe from one first (or subscribe by scenario_name or to every run)`,
        msg.request_id
      );
    }
    if (!client.filters.has(key)) {
      client.filters.set(key, filter);
      index.add(client, filter);
    }
    if (msg.since_seq === undefined) {
      return sendSession(client, { type: 'subscription_confirmed', ...echo(msg), replayed: 0, resumed: false });
    }
    await resume(client, msg, msg.run_id!, msg.since_seq);
  };

  /**
   * Replays the run's events after `sinceSeq` page by page from the bus (memory or storage),
   * then hands over to live delivery: no gap, no repeat. Live events of the run that arrive
   * meanwhile are not queued here; they are stored, so the replay reads them back. Each page
   * waits for the socket to drain under the high-water mark, so a client that does not read
   * costs one page of memory and is closed with 4008 after the stall time. A newer resume of
   * the same run on this connection cancels this one.
   */
  const resume = async (client: Client, msg: SubscribeTraining, runId: string, sinceSeq: number): Promise<void> => {
    const replaying = (client.replaying ??= new Map());
    const previous = replaying.get(runId);
    if (previous) previous.cancelled = true;
    const replay: Replay = { cancelled: false, liveSeq: 0 };
    replaying.set(runId, replay);
    replays++;
    // Withheld progress of this run is older than what the replay will end with.
    client.coalesced?.delete(runId);
    const live = () => !replay.cancelled && client.ws.readyState === OPEN;
    try {
      // One event is enough to know whether the history is complete and how far it goes;
      // pages are read only once the socket can take them.
      const first = await opts.bus.readAfter(runId, sinceSeq, 1);
      if (!live()) return;
      // A history with a gap is not replayed: the client is told to fetch the run's state
      // over REST and gets live events from the latest seq on.
      const complete = first.complete;
      sendSession(client, {
        type: 'subscription_confirmed',
        ...echo(msg),
        replayed: complete ? Math.max(0, first.latestSeq - sinceSeq) : 0,
        resumed: complete
      });
      let lastSent = complete ? Math.min(sinceSeq, first.latestSeq) : first.latestSeq;
      // Caught up when a read found nothing newer than what was sent and no live event of the
      // run came since. No await between that check and the hand-over, so none slips in between.
      while (lastSent < Math.max(first.latestSeq, replay.liveSeq)) {
        if (!(await whenWritable(client)) || !live()) return;
        const page = (await opts.bus.readAfter(runId, lastSent, REPLAY_PAGE)).events;
        if (!live()) return;
        for (const event of page) {
          if (event.seq <= lastSent) continue;
          if (!sendReplayed(client, event)) return;
          lastSent = event.seq;
        }
        if (page.length === 0) break;
      }
    } finally {
      replays--;
      if (replaying.get(runId) === replay) replaying.delete(runId);
      if (replaying.size === 0 && client.replaying === replaying) client.replaying = null;
    }
  };

  /** Writes one replayed event; false when the socket is gone or was closed over the hard cap. */
  const sendReplayed = (client: Client, event: RunEvent): boolean => {
    if (client.ws.readyState !== OPEN) return false;
    if (client.ws.bufferedAmount > hardCap) {
      closeSlow(client);
      return false;
    }
    client.ws.send(JSON.stringify(event), TEXT);
    return true;
  };

  const unsubscribe = (client: Client, msg: UnsubscribeTraining): void => {
    const filter = filterOf(msg);
    const key = filterKey(filter);
    // Idempotent: unsubscribing from something not subscribed is confirmed too.
    if (client.filters.delete(key)) index.remove(client, filter);
    if (filter.kind === 'run') {
      const replay = client.replaying?.get(filter.runId);
      if (replay) replay.cancelled = true;
    }
    sendSession(client, { type: 'unsubscribed', ...echo(msg) });
  };

  const dispatch = async (client: Client, msg: ClientMessage): Promise<void> => {
    switch (msg.type) {
      case 'ping':
        return sendSession(client, { type: 'pong', ...(msg.request_id !== undefined && { request_id: msg.request_id }) });
      case 'subscribe_training':
        return subscribe(client, msg);
      case 'unsubscribe_training':
        return unsubscribe(client, msg);
    }
  };

  const onMessage = (client: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    const now = Date.now();
    if (!client.bucket.take(now)) {
      if (client.rateLimited.hit(now) > maxRateLimited) client.ws.close(4429, 'too many messages');
      else sendError(client, 'rate_limited', `more than ${rate} messages per second; slow down`);
      return;
    }
    const parsed = parseClientFrame(data, isBinary);
    if (!parsed.ok) {
      if (client.invalid.hit(now) > maxInvalid) {
        client.ws.close(4400, 'too many invalid messages');
        return;
      }
      return sendError(client, parsed.code, parsed.message, parsed.requestId);
    }
    dispatch(client, parsed.message).catch((error: unknown) => {
      app.log.error({ err: error, session_id: client.sessionId }, 'websocket message handling failed');
      sendError(client, 'internal_error', 'the server could not handle this message', parsed.message.request_id);
    });
  };

  const close = (client: Client): void => {
    if (!clients.delete(client)) return;
    const count = (perIp.get(client.ip) ?? 1) - 1;
    if (count === 0) perIp.delete(client.ip);
    else perIp.set(client.ip, count);
    congested.delete(client);
    releaseDrainWaiters(client, false);
    for (const replay of client.replaying?.values() ?? []) replay.cancelled = true;
    for (const filter of client.filters.values()) index.remove(client, filter);
    client.filters.clear();
  };

  // Refused before the upgrade, so a flood of connections costs no sockets.
  const admit = async (request: FastifyRequest, reply: FastifyReply) => {
    if (clients.size >= maxConnections) {
      return reply.code(503).header('retry-after', '5').send({
        statusCode: 503,
        code: 'HRL_TOO_MANY_CONNECTIONS',
        error: 'Service Unavailable',
        message: `the server holds its maximum of ${maxConnections} WebSocket connections`
      });
    }
    if ((perIp.get(request.ip) ?? 0) >= maxPerIp) {
      return reply.code(429).header('retry-after', '5').send({
        statusCode: 429,
        code: 'HRL_TOO_MANY_CONNECTIONS',
        error: 'Too Many Requests',
        message: `at most ${maxPerIp} WebSocket connections per client address`
      });
    }
  };

  // Connections have their own caps above; the per-minute REST request limit does not apply.
  app.get('/ws', { websocket: true, onRequest: admit, config: { rateLimit: false } }, (socket, request) => {
    const client = new Client(socket, randomUUID(), request.ip, burst, rate);
    perIp.set(client.ip, (perIp.get(client.ip) ?? 0) + 1);
    // Handlers are attached synchronously, before any await, so no frame is missed.
    socket.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => close(client));
    socket.on('error', () => close(client));
    clients.add(client);
    sendSession(client, {
      type: 'connection_established',
      message: 'connected to hrl-finance; send subscribe_training to receive run events',
      session_id: client.sessionId,
      protocol_version: PROTOCOL_VERSION,
      heartbeat_interval_ms: opts.heartbeatMs
    });
  });

  app.decorate('gateway', {
    stats: (): GatewayStats => ({ clients: clients.size, congested: congested.size, replays, subscriptions: index.size })
  });
};

export const gatewayPlugin = fp(gateway, { name: 'gateway', fastify: '5.x' });

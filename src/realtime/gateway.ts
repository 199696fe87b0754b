import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import type { BusMessage, EventBus } from '../bus/event-bus.js';
import type { ClientMessage, SubscribeTraining, UnsubscribeTraining } from '../contracts/client-messages.js';
import { PROTOCOL_VERSION, type ErrorCode, type SessionMessage } from '../contracts/events.js';
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
}

type WithoutTs<T> = T extends unknown ? Omit<T, 'ts'> : never;

const OPEN = 1;
const TEXT = { binary: false } as const;
const REPLAY_PAGE = 10_000;

class Client implements Subscriber {
  lastStamp = 0;
  alive = true;
  readonly filters = new Map<string, Filter>();
  /** Live messages held back per run while that run's history is being replayed. */
  replaying: Map<string, BusMessage[]> | null = null;
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
  const perIp = new Map<string, number>();
  const clients = new Set<Client>();
  const congested = new Set<Client>();
  const index = new SubscriptionIndex<Client>();

  // ---- outbound ---------------------------------------------------------------------

  const sendSession = (client: Client, message: WithoutTs<SessionMessage>): void => {
    if (client.ws.readyState !== OPEN) return;
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
    client.ws.close(4008, 'slow consumer: resume with since_seq');
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
    const held = client.replaying?.get(message.event.run_id);
    if (held) held.push(message);
    else sendEvent(client, message, frame);
  };

  // Per message: validate, serialize and frame once; per recipient: only the write.
  const unsubscribeBus = opts.bus.subscribe((message) => {
    const frame = textFrame(message.frame);
    index.forEachRecipient(message, (c) => deliver(c, message, frame));
  });

  const flushCongested = (): void => {
    const now = Date.now();
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
    if (!client.filters.has(key)) {
      client.filters.set(key, filter);
      index.add(client, filter);
    }
    if (msg.since_seq === undefined) {
      return sendSession(client, { type: 'subscription_confirmed', ...echo(msg), replayed: 0, resumed: false });
    }
    await resume(client, msg, msg.run_id!, msg.since_seq);
  };

  /** Replays history after `sinceSeq`, then releases the live events held meanwhile: no gap, no repeat. */
  const resume = async (client: Client, msg: SubscribeTraining, runId: string, sinceSeq: number): Promise<void> => {
    const replaying = (client.replaying ??= new Map());
    if (replaying.has(runId)) {
      return sendError(client, 'invalid_request', `a resume of run ${runId} is already in progress`, msg.request_id);
    }
    const held: BusMessage[] = [];
    replaying.set(runId, held);
    try {
      const history = [];
      let complete = true;
      let latestSeq = sinceSeq;
      for (let after = sinceSeq; ; ) {
        const page = await opts.bus.readAfter(runId, after, REPLAY_PAGE);
        if (after === sinceSeq) {
          complete = page.complete;
          latestSeq = page.latestSeq;
        }
        if (!complete) break;
        history.push(...page.events);
        if (page.events.length < REPLAY_PAGE) break;
        after = page.events[page.events.length - 1].seq;
      }
      if (client.ws.readyState !== OPEN) return;
      sendSession(client, {
        type: 'subscription_confirmed',
        ...echo(msg),
        replayed: complete ? history.length : 0,
        resumed: complete
      });
      let lastSent = complete ? Math.min(sinceSeq, latestSeq) : 0;
      if (complete) {
        for (const event of history) client.ws.send(JSON.stringify(event));
        if (history.length > 0) lastSent = history[history.length - 1].seq;
      }
      for (const message of held) if (message.event.seq > lastSent) sendEvent(client, message);
    } finally {
      replaying.delete(runId);
      if (replaying.size === 0) client.replaying = null;
    }
  };

  const unsubscribe = (client: Client, msg: UnsubscribeTraining): void => {
    const filter = filterOf(msg);
    const key = filterKey(filter);
    // Idempotent: unsubscribing from something not subscribed is confirmed too.
    if (client.filters.delete(key)) index.remove(client, filter);
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
    stats: (): GatewayStats => ({ clients: clients.size, congested: congested.size, subscriptions: index.size })
  });
};

export const gatewayPlugin = fp(gateway, { name: 'gateway', fastify: '5.x' });

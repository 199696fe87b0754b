import { once } from 'node:events';
import WebSocket from 'ws';
import { serverMessageError } from './schemas.js';

export type Frame = { type: string; [key: string]: any };

/**
 * A plain `ws` client that records every frame, checks each one against schemas/, and lets
 * a test wait for the next frame matching a predicate (never sleeps).
 */
export class TestClient {
  readonly frames: Frame[] = [];
  /** Frames that failed schema validation, with the reason. */
  readonly invalid: Array<{ frame: unknown; error: string }> = [];
  #waiters: Array<{ match: (f: Frame) => boolean; from: number; resolve: (f: Frame) => void }> = [];
  closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = JSON.parse(isBinary ? '{}' : data.toString()) as Frame;
      const error = serverMessageError(frame);
      if (error) this.invalid.push({ frame, error });
      this.frames.push(frame);
      const index = this.frames.length - 1;
      this.#waiters = this.#waiters.filter((w) => {
        if (index < w.from || !w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  }

  static async connect(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const client = new TestClient(ws);
    await once(ws, 'open');
    await client.next((f) => f.type === 'connection_established');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first frame (already received or future) at index ≥ `from` that matches. */
  next(match: (f: Frame) => boolean, { from = 0, timeoutMs = 60_000 } = {}): Promise<Frame> {
    const found = this.frames.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a frame; got ${this.types().join(',')}`)), timeoutMs);
      this.#waiters.push({
        match,
        from,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        }
      });
    });
  }

  /** Sends a request and waits for the reply carrying its request_id. */
  async request(message: Record<string, unknown>, requestId: string): Promise<Frame> {
    const from = this.frames.length;
    this.send({ ...message, request_id: requestId });
    return this.next((f) => f.request_id === requestId, { from });
  }

  async subscribe(filter: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request({ type: 'subscribe_training', ...filter }, `sub-${Math.random()}`);
    if (reply.type !== 'subscription_confirmed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Run events received so far (frames carrying a run_id and seq), optionally for one run. */
  runEvents(runId?: string): Frame[] {
    return this.frames.filter((f) => typeof f.seq === 'number' && (runId === undefined || f.run_id === runId));
  }

  types(): string[] {
    return this.frames.map((f) => f.type);
  }

  terminal(runId: string): Promise<Frame> {
    return this.next((f) => f.run_id === runId && ['training_completed', 'training_stopped', 'training_error'].includes(f.type));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

// A small browser client of the /ws protocol (docs/protocol.md §1) for the dashboard:
// one "all runs" subscription for the run list, and a resumable subscription for the
// selected run. Reconnects with jittered exponential backoff and application pings.

const PING_MS = 15000;
const PONG_TIMEOUT_MS = 10000;

export class Live {
  /**
   * @param {{ url: string, token?: string, onMessage: (msg: any) => void, onState: (state: string, detail?: string) => void,
   *           onOpen: (reconnected: boolean) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.attempt = 0;
    this.everOpen = false;
    this.closed = false;
    this.socket = null;
    this.timer = null;
    this.pingTimer = null;
    this.awaiting = 0;
    this.nextId = 1;
  }

  connect() {
    const u = new URL(this.options.url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = '/ws';
    if (this.options.token) u.searchParams.set('token', this.options.token);
    this.options.onState(this.everOpen ? 'reconnecting' : 'connecting');
    const socket = new WebSocket(u);
    this.socket = socket;
    socket.onmessage = (event) => {
      this.awaiting = 0;
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === 'connection_established') {
        this.attempt = 0;
        this.options.onState('open');
        this.startPing();
        const reconnected = this.everOpen;
        this.everOpen = true;
        this.options.onOpen(reconnected);
        return;
      }
      this.options.onMessage(msg);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.lost();
    };
  }

  lost() {
    this.socket = null;
    clearInterval(this.pingTimer);
    if (this.closed) return;
    const base = Math.min(10000, 250 * 2 ** this.attempt++);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.options.onState('reconnecting', `reconnecting in ${(delay / 1000).toFixed(1)} s`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  startPing() {
    clearInterval(this.pingTimer);
    this.awaiting = 0;
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (this.awaiting && Date.now() - this.awaiting > PONG_TIMEOUT_MS) {
        // No frame since the last ping: the path is dead even if the socket says open.
        this.socket = null;
        socket.onclose = null;
        socket.close();
        this.lost();
        return;
      }
      if (!this.awaiting) {
        this.awaiting = Date.now();
        this.send({ type: 'ping', request_id: `hb${this.nextId++}` });
      }
    }, Math.min(PING_MS, PONG_TIMEOUT_MS));
  }

  /** @returns {string} the request id */
  send(message) {
    const id = message.request_id ?? `r${this.nextId++}`;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ ...message, request_id: id }));
    return id;
  }

  get open() {
    return !!this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  /** Drops the socket and reconnects at once (e.g. after a token change). */
  restart(token) {
    this.options.token = token;
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pingTimer);
    clearTimeout(this.timer);
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    this.attempt = 0;
    this.connect();
  }
}

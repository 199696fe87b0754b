import { isIP } from 'node:net';

/**
 * The key failures are counted under: the IPv4 address, or the IPv6 /64 (one subscriber's
 * prefix, so rotating through its 2^64 addresses buys no extra guesses).
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Failed authentications per client in fixed one-minute windows. Memory is bounded: at
 * most `maxClients` windows are kept, the oldest dropped first.
 */
export class FailureLimiter {
  readonly #windows = new Map<string, Window>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs = 60_000,
    readonly maxClients = 100_000
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it is within its budget. */
  blockedFor(key: string, now: number): number {
    const window = this.#windows.get(key);
    if (!window) return 0;
    if (now >= window.resetAt) {
      this.#windows.delete(key);
      return 0;
    }
    return window.failures >= this.maxFailures ? window.resetAt - now : 0;
  }

  fail(key: string, now: number): void {
    const window = this.#windows.get(key);
    if (window && now < window.resetAt) {
      window.failures++;
      return;
    }
    this.#windows.delete(key);
    if (this.#windows.size >= this.maxClients) {
      const oldest = this.#windows.keys().next().value;
      if (oldest !== undefined) this.#windows.delete(oldest);
    }
    this.#windows.set(key, { failures: 1, resetAt: now + this.windowMs });
  }

  get size(): number {
    return this.#windows.size;
  }
}

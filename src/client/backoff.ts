export interface BackoffOptions {
  /** First retry delay in ms (default 250). */
  initialDelayMs?: number;
  /** Upper bound of any delay in ms (default 10 000). */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of the delay that is randomised, 0..1 (default 0.5). */
  jitter?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential growth, capped, with
 * "equal jitter" so that many clients dropped at once do not come back in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialDelayMs = 250, maxDelayMs = 10_000, factor = 2, jitter = 0.5 } = options;
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}

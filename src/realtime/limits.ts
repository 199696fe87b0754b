/** Counts events in a sliding window (e.g. invalid messages per minute). */
export class WindowCounter {
  #times: number[] = [];
  constructor(readonly windowMs: number) {}

  /** Records one event at `now` and returns how many fall inside the window. */
  hit(now: number): number {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop] <= cutoff) drop++;
    if (drop > 0) this.#times.splice(0, drop);
    this.#times.push(now);
    return this.#times.length;
  }
}

/** Token bucket: `capacity` burst, refilled at `ratePerSecond`. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(readonly capacity: number, readonly ratePerSecond: number, now: number) {
    this.#tokens = capacity;
    this.#last = now;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

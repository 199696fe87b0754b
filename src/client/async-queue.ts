/** A push-fed async iterable: producers push, one consumer awaits. Unbounded, in order. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  #done = false;
  #error: unknown = undefined;
  #failed = false;

  constructor(private readonly onReturn?: () => void) {}

  push(item: T): void {
    if (this.#done) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.#items.push(item);
  }

  /** Ends the iteration after the items already pushed. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#items.length === 0) for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Ends the iteration with an error, thrown after the items already pushed. */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#failed = true;
    this.#error = error;
    this.#done = true;
    if (this.#items.length === 0 && this.#waiters.length > 0) {
      this.#failed = false;
      for (const w of this.#waiters.splice(0)) w.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#done) {
      if (this.#failed) {
        this.#failed = false;
        return Promise.reject(this.#error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.end();
    this.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

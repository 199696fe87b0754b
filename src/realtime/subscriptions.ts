import type { BusMessage } from '../bus/event-bus.js';

/** A subscription filter: every run, one run, or every run of one scenario. */
export type Filter = { kind: 'all' } | { kind: 'run'; runId: string } | { kind: 'scenario'; scenarioName: string };

export function filterKey(filter: Filter): string {
  switch (filter.kind) {
    case 'all':
      return 'all';
    case 'run':
      return `run:${filter.runId}`;
    case 'scenario':
      return `scenario:${filter.scenarioName}`;
  }
}

/** Minimal view of a subscriber the index needs. */
export interface Subscriber {
  /** Stamp of the last broadcast visited; lets overlapping filters deliver a message once. */
  lastStamp: number;
}

/**
 * Who is subscribed to what, indexed so that routing a message costs the number of
 * its recipients, not the number of connected clients.
 */
export class SubscriptionIndex<S extends Subscriber> {
  readonly #all = new Set<S>();
  readonly #byRun = new Map<string, Set<S>>();
  readonly #byScenario = new Map<string, Set<S>>();
  #stamp = 0;

  add(subscriber: S, filter: Filter): void {
    if (filter.kind === 'all') this.#all.add(subscriber);
    else if (filter.kind === 'run') addTo(this.#byRun, filter.runId, subscriber);
    else addTo(this.#byScenario, filter.scenarioName, subscriber);
  }

  remove(subscriber: S, filter: Filter): void {
    if (filter.kind === 'all') this.#all.delete(subscriber);
    else if (filter.kind === 'run') removeFrom(this.#byRun, filter.runId, subscriber);
    else removeFrom(this.#byScenario, filter.scenarioName, subscriber);
  }

  /** Calls `visit` once for each subscriber whose filters match the message. */
  forEachRecipient(message: BusMessage, visit: (subscriber: S) => void): void {
    const byRun = this.#byRun.get(message.event.run_id);
    const byScenario = this.#byScenario.get(message.scenario_name);
    const groups = [this.#all, byRun, byScenario].filter((g): g is Set<S> => g !== undefined && g.size > 0);
    if (groups.length === 1) {
      for (const s of groups[0]) visit(s);
      return;
    }
    const stamp = ++this.#stamp;
    for (const group of groups) {
      for (const s of group) {
        if (s.lastStamp === stamp) continue;
        s.lastStamp = stamp;
        visit(s);
      }
    }
  }

  get size(): { all: number; runs: number; scenarios: number } {
    return { all: this.#all.size, runs: this.#byRun.size, scenarios: this.#byScenario.size };
  }
}

function addTo<S>(map: Map<string, Set<S>>, key: string, s: S): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(s);
}

function removeFrom<S>(map: Map<string, Set<S>>, key: string, s: S): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) map.delete(key);
}

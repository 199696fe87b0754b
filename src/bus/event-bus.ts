import type { RunEvent, RunEventData, RunEventType } from '../contracts/events.js';

/** What a producer (the training service) hands to the bus; the bus adds `ts` and `seq`. */
export interface PublishRequest<K extends RunEventType = RunEventType> {
  run_id: string;
  scenario_name: string;
  type: K;
  data: RunEventData<K>;
}

/** A published run event, validated and serialized once for every subscriber. */
export interface BusMessage {
  event: RunEvent;
  scenario_name: string;
  /** The envelope as UTF-8 JSON, ready to send as a text frame. */
  frame: Buffer;
}

export type BusListener = (message: BusMessage) => void;

/** Durable history of run events; the storage layer implements it. */
export interface EventStore {
  appendEvents(rows: Array<{ event: RunEvent; scenario_name: string }>): Promise<void>;
  readEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]>;
  lastSeq(runId: string): Promise<number>;
}

export interface ReadResult {
  events: RunEvent[];
  /** Whether the first returned event is seq afterSeq + 1 (or nothing newer exists): the history has no gap. */
  complete: boolean;
  /** Highest seq the history held when read (0 when none), also when `limit` cut the page short. */
  latestSeq: number;
}

/**
 * The seam between producers of run events and the gateway. Implementations must:
 * number each run's events 1, 2, 3… with no gap; validate each event once; persist an
 * event before any listener sees it (so a resume never finds less than was delivered);
 * deliver events to listeners in publish order.
 */
export interface EventBus {
  publish<K extends RunEventType>(request: PublishRequest<K>): Promise<BusMessage>;
  /** Listens to every run's events; returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void;
  /** Events of a run with seq > afterSeq, in order, at most `limit`. */
  readAfter(runId: string, afterSeq: number, limit?: number): Promise<ReadResult>;
  /** Latest seq delivered for a run (0 when none). */
  lastSeq(runId: string): Promise<number>;
  /** Waits until everything published so far is persisted and delivered. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

export class BusClosedError extends Error {
  override name = 'BusClosedError';
}

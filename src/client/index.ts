export { HrlClient, HrlClientError } from './ws-client.js';
export type {
  ClientEvents,
  ClientOptions,
  ConnectionState,
  ResyncInfo,
  RunEventStream,
  SubscribeOptions,
  Subscription,
  SubscriptionFilter,
  SubscriptionHandlers,
  WebSocketFactory,
  WebSocketLike
} from './ws-client.js';
export { RestClient, HttpError } from './rest.js';
export type { RestOptions } from './rest.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { isTerminal } from './types.js';
export type * from './types.js';

import fp from 'fastify-plugin';
import type { EventBus } from './event-bus.js';
import { MemoryEventBus } from './memory-bus.js';

declare module 'fastify' {
  interface FastifyInstance {
    bus: EventBus;
  }
}

/** The run-event bus: today in-process, persisting every event through storage before delivery. */
export const busPlugin = fp(
  async (app) => {
    const bus = new MemoryEventBus({ store: app.storage.events, replayWindow: app.config.replayWindow });
    app.decorate('bus', bus);
    app.addHook('onClose', () => bus.close());
  },
  { name: 'bus', dependencies: ['storage'] }
);

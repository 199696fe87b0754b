import fp from 'fastify-plugin';
import type { EventBus } from './event-bus.js';
import { MemoryEventBus } from './memory-bus.js';
import { RedisEventBus } from './redis-bus.js';

declare module 'fastify' {
  interface FastifyInstance {
    bus: EventBus;
  }
}

/**
 * The run-event bus, persisting every event through storage before delivery: in-process,
 * or with HRL_REDIS_URL Redis Streams shared by every gateway and trainer.
 */
export const busPlugin = fp(
  async (app) => {
    const { redisUrl, redisPrefix, replayWindow } = app.config;
    let bus: EventBus;
    if (redisUrl === '') {
      bus = new MemoryEventBus({ store: app.storage.events, replayWindow });
    } else {
      const redisBus = new RedisEventBus({
        store: app.storage.events,
        url: redisUrl,
        keyPrefix: redisPrefix,
        replayWindow,
        onError: (error) => app.log.warn({ err: error }, 'Redis event bus error')
      });
      app.addHook('onClose', () => redisBus.close());
      await redisBus.ready();
      bus = redisBus;
    }
    app.decorate('bus', bus);
    if (bus instanceof MemoryEventBus) app.addHook('onClose', () => bus.close());
  },
  { name: 'bus', dependencies: ['storage'] }
);

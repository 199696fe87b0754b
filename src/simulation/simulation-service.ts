import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RunSimulationBody, SimulationResult } from '../contracts/simulation.js';
import { notFound, ServiceError } from '../errors.js';
import type { Storage } from '../storage/index.js';
import type { WorkerPool } from '../training/worker-pool.js';

/** Sortable and unique even for requests in the same millisecond: time prefix plus 64 random bits. */
export const newSimulationId = (): string => `sim_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;

/**
 * Runs simulations in worker threads (never on the event loop) and stores every result.
 * Simulations are synchronous for the client (capped episode count) and use their own
 * pool, so a request never waits behind hours of queued training.
 */
export class SimulationService {
  readonly #storage: Storage;
  readonly #pool: () => WorkerPool;
  readonly #log: FastifyBaseLogger;

  /** `pool` picks the pool for each job. */
  constructor(options: { storage: Storage; pool: WorkerPool | (() => WorkerPool); log: FastifyBaseLogger }) {
    this.#storage = options.storage;
    const pool = options.pool;
    this.#pool = typeof pool === 'function' ? pool : () => pool;
    this.#log = options.log;
  }

  async run(body: RunSimulationBody): Promise<SimulationResult> {
    const model = await this.#storage.models.get(body.model_name);
    if (!model) throw notFound('model', body.model_name);
    let scenarioName = model.scenario_name;
    let config = model.model.config;
    let description = '';
    if (body.scenario_name !== undefined) {
      const scenario = await this.#storage.scenarios.get(body.scenario_name);
      if (!scenario) throw notFound('scenario', body.scenario_name);
      scenarioName = scenario.name;
      config = scenario.config;
      description = scenario.description;
    } else {
      description = (await this.#storage.scenarios.get(scenarioName))?.description ?? '';
    }
    const numEpisodes = body.num_episodes ?? 10;
    const seed = body.seed ?? randomInt(0, 2 ** 32);

    const handle = this.#pool().submit({ kind: 'simulate', model: model.model, config, episodes: numEpisodes, seed });
    const outcome = await handle.done;
    if (outcome.type !== 'simulated') {
      const error = outcome.type === 'failed' ? outcome.error : { name: 'UnexpectedResult', message: outcome.type, details: '' };
      this.#log.error({ error, model_name: model.name }, 'simulation failed');
      throw new ServiceError(500, 'HRL_SIMULATION_FAILED', `simulation failed: ${error.message}`);
    }

    const result: SimulationResult = {
      simulation_id: newSimulationId(),
      scenario_name: scenarioName,
      model_name: model.name,
      num_episodes: numEpisodes,
      timestamp: new Date().toISOString(),
      seed,
      ...outcome.outcome.aggregates,
      episodes: outcome.outcome.episodes
    };
    await this.#storage.simulations.insert({
      simulation_id: result.simulation_id,
      scenario_name: result.scenario_name,
      model_name: result.model_name,
      num_episodes: result.num_episodes,
      seed,
      created_at: result.timestamp,
      total_wealth_mean: result.total_wealth_mean,
      duration_mean: result.duration_mean,
      description,
      config,
      result: result as unknown as Record<string, unknown>
    });
    return result;
  }
}

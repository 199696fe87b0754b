import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RunSimulationBody, SimulationResult } from '../contracts/simulation.js';
import { notFound, ServiceError } from '../errors.js';
import type { Storage } from '../storage/index.js';
import type { JobOutcome, JobRunner } from '../jobs/job-runner.js';

/** Sortable and unique even for requests in the same millisecond: time prefix plus 64 random bits. */
export const newSimulationId = (): string => `sim_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;

/**
 * Runs simulations in worker threads (never on the event loop) and stores every result.
 * Simulations are synchronous for the client (capped episode count) and never wait behind
 * hours of queued training: the composition root hands in a runner picker for that.
 */
export class SimulationService {
  readonly #storage: Storage;
  readonly #runner: () => JobRunner;
  readonly #log: FastifyBaseLogger;

  /** `runner` picks the job runner for each simulation. */
  constructor(options: { storage: Storage; runner: () => JobRunner; log: FastifyBaseLogger }) {
    this.#storage = options.storage;
    this.#runner = options.runner;
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

    let outcome: JobOutcome;
    try {
      outcome = await this.#runner().submit({ kind: 'simulate', model: model.model, config, episodes: numEpisodes, seed }).outcome;
    } catch (error) {
      this.#log.error({ err: error, model_name: model.name }, 'simulation failed');
      throw new ServiceError(500, 'HRL_SIMULATION_FAILED', `simulation failed: ${(error as Error).message}`);
    }
    if (outcome.type !== 'simulated') {
      this.#log.error({ result: outcome.type, model_name: model.name }, 'simulation failed');
      throw new ServiceError(500, 'HRL_SIMULATION_FAILED', `simulation failed: unexpected job result ${outcome.type}`);
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

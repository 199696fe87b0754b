import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { MAX_SIMULATION_EPISODE_MONTHS, type RunSimulationBody, type SimulationResult } from '../contracts/simulation.js';
import { notFound, ServiceBusyError, ServiceError } from '../errors.js';
import { QueueTimeoutError } from '../jobs/queue-timeout.js';
import type { SimulationOutcome } from '../hrl/index.js';
import type { Storage } from '../storage/index.js';
import type { JobOutcome, JobRunner } from '../jobs/job-runner.js';

/** What a simulation refused for want of a trainer is told to wait before trying again. */
export const NO_TRAINER_RETRY_AFTER_S = 10;

/** Sortable and unique even for requests in the same millisecond: time prefix plus 64 random bits. */
export const newSimulationId = (): string => `sim_${Date.now().toString(36)}_${randomBytes(8).toString('hex')}`;

/**
 * The path of the first value that is not a finite number (an amount that overflowed a
 * double, or a NaN), or undefined. JSON has no Infinity or NaN: such a result could be
 * neither answered nor stored faithfully, so it is refused as a whole.
 */
function firstNonFinite(outcome: SimulationOutcome): string | undefined {
  for (const [key, v] of Object.entries(outcome.aggregates)) if (!Number.isFinite(v)) return key;
  for (const episode of outcome.episodes) {
    for (const [key, v] of Object.entries(episode) as Array<[string, unknown]>) {
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) return `episodes[${episode.episode_id}].${key}`;
      } else if (Array.isArray(v)) {
        const bad = v.findIndex((x) => (Array.isArray(x) ? x.some((y) => !Number.isFinite(y)) : !Number.isFinite(x)));
        if (bad >= 0) return `episodes[${episode.episode_id}].${key}[${bad}]`;
      }
    }
  }
  return undefined;
}

/**
 * Runs simulations in worker threads (never on the event loop) and stores every result.
 * Simulations are synchronous for the client (capped episode count) and never wait behind
 * hours of queued training: the composition root hands in a runner picker for that.
 */
export class SimulationService {
  readonly #storage: Storage;
  readonly #runner: () => JobRunner;
  readonly #log: FastifyBaseLogger;

  readonly #keepPerModel: number;
  readonly #deleteReports: (simulationIds: readonly string[]) => Promise<number>;

  /**
   * `runner` picks the job runner for each simulation; the `keepPerModel` newest simulations
   * of a model are kept; `deleteReports` removes the reports (records and files) of deleted ones.
   */
  constructor(options: {
    storage: Storage;
    runner: () => JobRunner;
    log: FastifyBaseLogger;
    keepPerModel?: number;
    deleteReports?: (simulationIds: readonly string[]) => Promise<number>;
  }) {
    this.#storage = options.storage;
    this.#runner = options.runner;
    this.#keepPerModel = options.keepPerModel ?? Number.MAX_SAFE_INTEGER;
    this.#deleteReports = options.deleteReports ?? (async () => 0);
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
    const months = config.environment.max_months;
    if (numEpisodes * months > MAX_SIMULATION_EPISODE_MONTHS) {
      throw new ServiceError(
        400,
        'FST_ERR_VALIDATION',
        `body/num_episodes ${numEpisodes} × max_months ${months} of scenario ${JSON.stringify(scenarioName)} must be at most ${MAX_SIMULATION_EPISODE_MONTHS} episode-months; ask for at most ${Math.max(1, Math.floor(MAX_SIMULATION_EPISODE_MONTHS / months))} episodes`
      );
    }
    const seed = body.seed ?? randomInt(0, 2 ** 32);

    let outcome: JobOutcome;
    try {
      outcome = await this.#runner().submit({ kind: 'simulate', model: model.model, config, episodes: numEpisodes, seed }).outcome;
    } catch (error) {
      if (error instanceof QueueTimeoutError) {
        throw new ServiceBusyError(
          'HRL_NO_TRAINER',
          `no trainer took the simulation within ${error.waitedMs} ms (HRL_SIMULATION_QUEUE_MS): every trainer is busy or none is running; try again later`,
          NO_TRAINER_RETRY_AFTER_S
        );
      }
      this.#log.error({ err: error, model_name: model.name }, 'simulation failed');
      throw new ServiceError(500, 'HRL_SIMULATION_FAILED', `simulation failed: ${(error as Error).message}`);
    }
    if (outcome.type !== 'simulated') {
      this.#log.error({ result: outcome.type, model_name: model.name }, 'simulation failed');
      throw new ServiceError(500, 'HRL_SIMULATION_FAILED', `simulation failed: unexpected job result ${outcome.type}`);
    }

    const overflow = firstNonFinite(outcome.outcome);
    if (overflow !== undefined) {
      throw new ServiceError(
        422,
        'HRL_SIMULATION_NOT_FINITE',
        `the simulation of scenario ${JSON.stringify(scenarioName)} overflowed (${overflow} is not a finite number); lower its amounts, returns or max_months`
      );
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
    // Retention: a model's newest simulations stay; older ones go with their reports.
    const pruned = await this.#storage.simulations.deleteBeyond(model.name, this.#keepPerModel);
    if (pruned.length > 0) await this.#deleteReports(pruned);
    return result;
  }

  /** Deletes a simulation and its reports; undefined when there is no such simulation, else the reports deleted. */
  async delete(simulationId: string): Promise<number | undefined> {
    if (!(await this.#storage.simulations.delete(simulationId))) return undefined;
    return this.#deleteReports([simulationId]);
  }
}

// PPO (Schulman et al. 2017) for a diagonal-Gaussian policy over unconstrained
// action vectors: clipped surrogate objective, separate value network as
// baseline, GAE(λ) advantages, entropy bonus, and a rollout buffer that spans
// episodes so short episodes still train (defect 5). Used for both levels.
import { Adam, Mlp, allFinite, clipGradNorm } from './mlp.js';
import type { Rng } from './rng.js';

const LOG_2PI = Math.log(2 * Math.PI);

export function gaussianLogProb(z: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, n: number, zOff = 0): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const d = (z[zOff + i] - mu[i]) * Math.exp(-logStd[i]);
    lp += -0.5 * d * d - logStd[i] - 0.5 * LOG_2PI;
  }
  return lp;
}

export function gaussianEntropy(logStd: ArrayLike<number>, n: number): number {
  let h = 0;
  for (let i = 0; i < n; i++) h += logStd[i] + 0.5 * (1 + LOG_2PI);
  return h;
}

/**
 * Per-sample PPO policy loss  −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) − c·H  with ρ = exp(log π(z) − log π_old(z)).
 * Adds d(loss)/dμ into dMu and d(loss)/d(logσ) into dLogStd (each multiplied by `weight`).
 * Returns the loss; `info[0]` receives ρ and `info[1]` 1 when the sample was clipped.
 */
export function ppoPolicyLoss(
  z: ArrayLike<number>,
  mu: ArrayLike<number>,
  logStd: ArrayLike<number>,
  n: number,
  logpOld: number,
  adv: number,
  clip: number,
  entCoef: number,
  dMu: Float64Array,
  dLogStd: Float64Array,
  weight: number,
  info?: Float64Array,
  zOff = 0,
): number {
  const logp = gaussianLogProb(z, mu, logStd, n, zOff);
  const ratio = Math.exp(logp - logpOld);
  const unclipped = ratio * adv;
  const clipped = Math.min(Math.max(ratio, 1 - clip), 1 + clip) * adv;
  const surrogate = Math.min(unclipped, clipped);
  // The gradient flows only through the unclipped branch when it is the active minimum.
  const active = unclipped <= clipped;
  const dLogp = active ? -ratio * adv : 0;
  for (let i = 0; i < n; i++) {
    const invVar = Math.exp(-2 * logStd[i]);
    const diff = z[zOff + i] - mu[i];
    dMu[i] += weight * dLogp * diff * invVar;
    dLogStd[i] += weight * (dLogp * (diff * diff * invVar - 1) - entCoef);
  }
  if (info) {
    info[0] = ratio;
    info[1] = active ? 0 : 1;
  }
  return -surrogate - entCoef * gaussianEntropy(logStd, n);
}

/**
 * GAE(λ) over a buffer of whole segments. `done[i]` marks the last step of a segment: an episode end
 * (bootstrap 0) or, for the executor, the end of a strategist period, where the return continues with
 * `boot[i]` (the strategist's value of the next decision state). `gammas[i]` is the discount from step
 * i to the next (per month for the executor; γ^(months of the period) for the strategist).
 */
export function computeGae(
  rewards: Float64Array,
  values: Float64Array,
  done: Uint8Array,
  boot: Float64Array,
  gammas: Float64Array,
  size: number,
  lam: number,
  advOut: Float64Array,
  retOut: Float64Array,
): void {
  let gae = 0;
  for (let i = size - 1; i >= 0; i--) {
    const terminal = done[i] === 1 || i === size - 1;
    const g = gammas[i];
    const nextV = terminal ? boot[i] : values[i + 1];
    const delta = rewards[i] + g * nextV - values[i];
    gae = delta + (terminal ? 0 : g * lam * gae);
    advOut[i] = gae;
    retOut[i] = gae + values[i];
  }
}

export interface PpoOptions {
  inputDim: number;
  actDim: number;
  hidden: readonly number[];
  valueHidden: readonly number[];
  lr: number;
  /** Adam learning rate of the value network (may differ from the policy's). */
  valueLr: number;
  /** The value network predicts return / valueScale, so its targets are O(1) whatever the horizon. */
  valueScale: number;
  gamma: number;
  lam: number;
  clip: number;
  epochs: number;
  minibatch: number;
  entCoef: number;
  maxGradNorm: number;
  rollout: number; // update once at least this many transitions are buffered (at an episode end)
  capacity: number; // rollout + the longest episode
  initLogStd: number;
  minLogStd: number;
  maxLogStd: number;
}

export interface PpoStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  clipFraction: number;
  updates: number;
}

export class GaussianPpo {
  readonly o: PpoOptions;
  readonly policy: Mlp;
  readonly value: Mlp;
  readonly logStd: Float64Array;
  private readonly policyOpt: Adam;
  private readonly valueOpt: Adam;
  private readonly logStdOpt: Adam;
  private readonly logStdGrad: Float64Array;
  private readonly rng: Rng;

  // Rollout buffer (preallocated).
  private readonly bufX: Float64Array;
  private readonly bufZ: Float64Array;
  private readonly bufLogp: Float64Array;
  private readonly bufV: Float64Array;
  private readonly bufR: Float64Array;
  private readonly bufDone: Uint8Array;
  private readonly bufBoot: Float64Array;
  private readonly bufGamma: Float64Array;
  private readonly adv: Float64Array;
  private readonly ret: Float64Array;
  private readonly idx: Int32Array;
  size = 0;

  // Scratch.
  private readonly dMu: Float64Array;
  private readonly dV = new Float64Array(1);
  private readonly info = new Float64Array(2);
  /** Mean of the last action (after act()). */
  readonly mu: Float64Array;
  lastLogp = 0;
  lastValue = 0;
  readonly stats: PpoStats = { policyLoss: 0, valueLoss: 0, entropy: 0, clipFraction: 0, updates: 0 };

  constructor(o: PpoOptions, rng: Rng) {
    this.o = o;
    this.rng = rng;
    this.policy = new Mlp([o.inputDim, ...o.hidden, o.actDim]);
    this.value = new Mlp([o.inputDim, ...o.valueHidden, 1]);
    this.policy.init(rng, 0.01);
    this.value.init(rng, 1);
    this.logStd = new Float64Array(o.actDim).fill(o.initLogStd);
    this.logStdGrad = new Float64Array(o.actDim);
    this.policyOpt = new Adam(this.policy.params.length, o.lr);
    this.valueOpt = new Adam(this.value.params.length, o.valueLr);
    this.logStdOpt = new Adam(o.actDim, o.lr);
    const cap = o.capacity;
    this.bufX = new Float64Array(cap * o.inputDim);
    this.bufZ = new Float64Array(cap * o.actDim);
    this.bufLogp = new Float64Array(cap);
    this.bufV = new Float64Array(cap);
    this.bufR = new Float64Array(cap);
    this.bufDone = new Uint8Array(cap);
    this.bufBoot = new Float64Array(cap);
    this.bufGamma = new Float64Array(cap);
    this.adv = new Float64Array(cap);
    this.ret = new Float64Array(cap);
    this.idx = new Int32Array(cap);
    this.dMu = new Float64Array(o.actDim);
    this.mu = new Float64Array(o.actDim);
  }

  /**
   * Chooses an action vector z for input x. Stochastic: z ~ N(μ(x), σ²); otherwise z = μ(x) (the mode).
   * When `record` is set the transition is appended to the rollout buffer (reward filled in by reward()).
   */
  act(x: Float64Array, z: Float64Array, stochastic: boolean, record: boolean): void {
    const n = this.o.actDim;
    const mu = this.policy.forward(x);
    for (let i = 0; i < n; i++) {
      this.mu[i] = mu[i];
      z[i] = stochastic ? mu[i] + Math.exp(this.logStd[i]) * this.rng.normal() : mu[i];
    }
    if (!record) return;
    if (this.size >= this.o.capacity) throw new Error('rollout buffer overflow');
    const k = this.size++;
    const inD = this.o.inputDim;
    for (let i = 0; i < inD; i++) this.bufX[k * inD + i] = x[i];
    for (let i = 0; i < n; i++) this.bufZ[k * n + i] = z[i];
    this.lastLogp = gaussianLogProb(z, this.mu, this.logStd, n);
    this.bufLogp[k] = this.lastLogp;
    this.lastValue = this.valueOf(x);
    this.bufV[k] = this.lastValue;
    this.bufR[k] = 0;
    this.bufDone[k] = 0;
    this.bufBoot[k] = 0;
    this.bufGamma[k] = this.o.gamma;
  }

  /** The value estimate of input x, in reward units (the network's output times valueScale). */
  valueOf(x: Float64Array): number {
    return this.value.forward(x)[0] * this.o.valueScale;
  }

  /**
   * Sets the reward of the last recorded transition. `end` marks the end of a segment, after which the
   * return continues with `bootstrap` (0 at the end of an episode); `gamma` overrides the level's
   * discount for this transition (the strategist's periods may differ in length).
   */
  reward(r: number, end: boolean, bootstrap = 0, gamma = this.o.gamma): void {
    this.rewardAt(this.size - 1, r, end, bootstrap, gamma);
  }

  /** reward() for the transition recorded k-th in the buffer. */
  rewardAt(k: number, r: number, end: boolean, bootstrap = 0, gamma = this.o.gamma): void {
    this.bufR[k] = r;
    this.bufDone[k] = end ? 1 : 0;
    this.bufBoot[k] = end ? bootstrap : 0;
    this.bufGamma[k] = gamma;
  }

  /** Ends the segment at the last recorded transition; its return continues with `bootstrap`. */
  endSegment(bootstrap: number): void {
    const k = this.size - 1;
    this.bufDone[k] = 1;
    this.bufBoot[k] = bootstrap;
  }

  get ready(): boolean {
    return this.size >= this.o.rollout;
  }

  /** Runs the PPO epochs on the buffer and empties it. Returns false if a loss or weight became non-finite. */
  update(): boolean {
    const o = this.o;
    const N = this.size;
    if (N === 0) return true;
    computeGae(this.bufR, this.bufV, this.bufDone, this.bufBoot, this.bufGamma, N, o.lam, this.adv, this.ret);
    let mean = 0;
    for (let i = 0; i < N; i++) mean += this.adv[i];
    mean /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (this.adv[i] - mean) ** 2;
    const std = Math.sqrt(v / N) + 1e-8;
    for (let i = 0; i < N; i++) this.adv[i] = (this.adv[i] - mean) / std;

    const inD = o.inputDim;
    const n = o.actDim;
    const idx = this.idx;
    const invScale = 1 / o.valueScale;
    let pl = 0;
    let vl = 0;
    let clipped = 0;
    let count = 0;
    for (let ep = 0; ep < o.epochs; ep++) {
      for (let i = 0; i < N; i++) idx[i] = i;
      for (let i = N - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      for (let start = 0; start < N; start += o.minibatch) {
        const end = Math.min(N, start + o.minibatch);
        const w = 1 / (end - start);
        this.policy.zeroGrad();
        this.value.zeroGrad();
        this.logStdGrad.fill(0);
        for (let b = start; b < end; b++) {
          const k = idx[b];
          const mu = this.policy.forward(this.bufX, k * inD);
          this.dMu.fill(0);
          pl += ppoPolicyLoss(this.bufZ, mu, this.logStd, n, this.bufLogp[k], this.adv[k], o.clip, o.entCoef, this.dMu, this.logStdGrad, w, this.info, k * n);
          clipped += this.info[1];
          this.policy.backward(this.dMu);
          const vOut = this.value.forward(this.bufX, k * inD)[0];
          const err = vOut - this.ret[k] * invScale;
          vl += 0.5 * err * err;
          this.dV[0] = w * err;
          this.value.backward(this.dV);
          count++;
        }
        clipGradNorm(this.policy.grads, o.maxGradNorm);
        clipGradNorm(this.value.grads, o.maxGradNorm);
        clipGradNorm(this.logStdGrad, o.maxGradNorm);
        this.policyOpt.step(this.policy.params, this.policy.grads);
        this.valueOpt.step(this.value.params, this.value.grads);
        this.logStdOpt.step(this.logStd, this.logStdGrad);
        for (let i = 0; i < n; i++) this.logStd[i] = Math.min(o.maxLogStd, Math.max(o.minLogStd, this.logStd[i]));
      }
    }
    this.size = 0;
    this.stats.policyLoss = pl / count;
    this.stats.valueLoss = vl / count;
    this.stats.entropy = gaussianEntropy(this.logStd, n);
    this.stats.clipFraction = clipped / count;
    this.stats.updates++;
    return Number.isFinite(this.stats.policyLoss) && Number.isFinite(this.stats.valueLoss) && allFinite(this.policy.params) && allFinite(this.value.params) && allFinite(this.logStd);
  }
}

// Small fully connected networks on Float64Array: tanh hidden layers, linear
// output, every buffer allocated once (forward/backward allocate nothing).
// Parameters live in one flat array per network so Adam, clipping, NaN checks
// and serialization are single loops.
import type { Rng } from './rng.js';

/** Σ p[w+i]·x[i] with four independent accumulators (breaks the add-latency chain; ~3× faster here). */
function dot(p: Float64Array, w: number, x: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n - (n & 3);
  for (; i < n4; i += 4) {
    s0 += p[w + i] * x[i];
    s1 += p[w + i + 1] * x[i + 1];
    s2 += p[w + i + 2] * x[i + 2];
    s3 += p[w + i + 3] * x[i + 3];
  }
  for (; i < n; i++) s0 += p[w + i] * x[i];
  return s0 + s1 + (s2 + s3);
}

export class Mlp {
  readonly sizes: readonly number[];
  readonly params: Float64Array;
  readonly grads: Float64Array;
  /** act[0] is the input copy, act[L] the output. */
  private readonly act: Float64Array[];
  private readonly delta: Float64Array[];
  private readonly wOff: number[];
  private readonly bOff: number[];

  constructor(sizes: readonly number[]) {
    if (sizes.length < 2) throw new Error('an MLP needs at least input and output sizes');
    this.sizes = [...sizes];
    let n = 0;
    this.wOff = [];
    this.bOff = [];
    for (let l = 0; l < sizes.length - 1; l++) {
      this.wOff.push(n);
      n += sizes[l] * sizes[l + 1];
      this.bOff.push(n);
      n += sizes[l + 1];
    }
    this.params = new Float64Array(n);
    this.grads = new Float64Array(n);
    this.act = sizes.map((s) => new Float64Array(s));
    this.delta = sizes.map((s) => new Float64Array(s));
  }

  get output(): Float64Array {
    return this.act[this.act.length - 1];
  }

  /** Scaled-normal init (LeCun for tanh); the last layer is scaled by `outGain` so a fresh policy starts near uniform. */
  init(rng: Rng, outGain: number): void {
    const L = this.sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const fanIn = this.sizes[l];
      const gain = (l === L - 1 ? outGain : 1) / Math.sqrt(fanIn);
      const w0 = this.wOff[l];
      const wN = fanIn * this.sizes[l + 1];
      for (let i = 0; i < wN; i++) this.params[w0 + i] = rng.normal() * gain;
      this.params.fill(0, this.bOff[l], this.bOff[l] + this.sizes[l + 1]);
    }
  }

  /** Runs the network on x[off .. off+inputSize); returns the output buffer (overwritten by the next call). */
  forward(x: Float64Array, off = 0): Float64Array {
    const p = this.params;
    const a0 = this.act[0];
    for (let i = 0; i < a0.length; i++) a0[i] = x[off + i];
    const L = this.sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const inp = this.act[l];
      const out = this.act[l + 1];
      const nIn = inp.length;
      const nOut = out.length;
      let w = this.wOff[l];
      const b = this.bOff[l];
      if (l === L - 1) {
        for (let j = 0; j < nOut; j++) {
          out[j] = p[b + j] + dot(p, w, inp, nIn);
          w += nIn;
        }
      } else {
        for (let j = 0; j < nOut; j++) {
          out[j] = Math.tanh(p[b + j] + dot(p, w, inp, nIn));
          w += nIn;
        }
      }
    }
    return this.output;
  }

  /** Accumulates d(loss)/d(params) into `grads` for the last forward pass, given d(loss)/d(output). */
  backward(dOut: ArrayLike<number>): void {
    const p = this.params;
    const g = this.grads;
    const L = this.sizes.length - 1;
    const dl = this.delta[L];
    for (let j = 0; j < dl.length; j++) dl[j] = dOut[j];
    for (let l = L - 1; l >= 0; l--) {
      const inp = this.act[l];
      const dOutL = this.delta[l + 1];
      const dIn = this.delta[l];
      const nIn = inp.length;
      const nOut = dOutL.length;
      const b = this.bOff[l];
      let w = this.wOff[l];
      if (l > 0) dIn.fill(0);
      for (let j = 0; j < nOut; j++) {
        const d = dOutL[j];
        g[b + j] += d;
        if (d !== 0) {
          if (l > 0) {
            for (let i = 0; i < nIn; i++) {
              g[w + i] += d * inp[i];
              dIn[i] += d * p[w + i];
            }
          } else {
            for (let i = 0; i < nIn; i++) g[w + i] += d * inp[i];
          }
        }
        w += nIn;
      }
      if (l > 0) {
        // tanh'(s) = 1 - tanh(s)^2, with tanh(s) stored as the activation.
        for (let i = 0; i < nIn; i++) dIn[i] *= 1 - inp[i] * inp[i];
      }
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}

/** Adam with bias correction (Kingma & Ba), in place on a flat parameter array. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(
    size: number,
    public lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grads: Float64Array): void {
    this.t++;
    const { m, v, beta1, beta2, eps } = this;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    const a = this.lr / c1;
    for (let i = 0; i < params.length; i++) {
      const gi = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      params[i] -= (a * m[i]) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

/** Scales `grads` in place so its L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: Float64Array, maxNorm: number): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i] * grads[i];
  const norm = Math.sqrt(s);
  if (norm > maxNorm && norm > 0) {
    const k = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= k;
  }
  return norm;
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

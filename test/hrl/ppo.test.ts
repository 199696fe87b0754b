import t from 'tap';
import { computeGae, gaussianLogProb, ppoPolicyLoss } from '../../src/hrl/ppo.js';

const LOG_2PI = Math.log(2 * Math.PI);

t.test('the clipped surrogate matches a hand-computed one-dimensional case', async (t) => {
  const z = [0.5];
  const mu = [0];
  const logStd = [0];
  const logp = gaussianLogProb(z, mu, logStd, 1);
  t.ok(Math.abs(logp - (-0.125 - 0.5 * LOG_2PI)) < 1e-12);
  const logpOld = logp - Math.log(1.5); // ratio 1.5

  // A > 0 and ratio above 1 + ε: the clipped branch is the minimum, no gradient.
  let dMu = new Float64Array(1);
  let dLs = new Float64Array(1);
  const info = new Float64Array(2);
  let loss = ppoPolicyLoss(z, mu, logStd, 1, logpOld, 2, 0.2, 0, dMu, dLs, 1, info);
  t.ok(Math.abs(loss - -2.4) < 1e-12, `loss ${loss}`);
  t.ok(Math.abs(info[0] - 1.5) < 1e-12);
  t.equal(info[1], 1);
  t.equal(dMu[0], 0);
  t.equal(dLs[0], 0);

  // A < 0: the unclipped branch is the minimum: loss = −ρA = 3, dL/dlogπ = −ρA = 3.
  dMu = new Float64Array(1);
  dLs = new Float64Array(1);
  loss = ppoPolicyLoss(z, mu, logStd, 1, logpOld, -2, 0.2, 0, dMu, dLs, 1, info);
  t.ok(Math.abs(loss - 3) < 1e-12, `loss ${loss}`);
  t.ok(Math.abs(dMu[0] - 1.5) < 1e-12, 'dμ = 3·(z − μ)/σ²');
  t.ok(Math.abs(dLs[0] - -2.25) < 1e-12, 'dlogσ = 3·((z − μ)²/σ² − 1)');

  // The entropy bonus lowers the loss by c·H and pushes logσ up.
  dMu = new Float64Array(1);
  dLs = new Float64Array(1);
  const withEnt = ppoPolicyLoss(z, mu, logStd, 1, logpOld, 2, 0.2, 0.1, dMu, dLs, 1);
  t.ok(Math.abs(withEnt - (-2.4 - 0.1 * 0.5 * (1 + LOG_2PI))) < 1e-12);
  t.ok(Math.abs(dLs[0] - -0.1) < 1e-12);
});

t.test('the policy-loss gradient matches finite differences in the unclipped region', async (t) => {
  const z = [0.3, -0.8, 1.1];
  const mu = [0.1, -0.5, 0.9];
  const ls = [-0.4, 0.2, -1.0];
  const logpOld = gaussianLogProb(z, mu, ls, 3) + 0.05;
  const f = (m: number[], s: number[]): number => ppoPolicyLoss(z, m, s, 3, logpOld, 0.7, 0.2, 0.01, new Float64Array(3), new Float64Array(3), 1);
  const dMu = new Float64Array(3);
  const dLs = new Float64Array(3);
  ppoPolicyLoss(z, mu, ls, 3, logpOld, 0.7, 0.2, 0.01, dMu, dLs, 1);
  const h = 1e-6;
  for (let i = 0; i < 3; i++) {
    const mp = [...mu];
    const mm = [...mu];
    mp[i] += h;
    mm[i] -= h;
    t.ok(Math.abs((f(mp, ls) - f(mm, ls)) / (2 * h) - dMu[i]) < 1e-7, `dμ[${i}]`);
    const sp = [...ls];
    const sm = [...ls];
    sp[i] += h;
    sm[i] -= h;
    t.ok(Math.abs((f(mu, sp) - f(mu, sm)) / (2 * h) - dLs[i]) < 1e-7, `dlogσ[${i}]`);
  }
});

t.test('GAE bootstraps within an episode and stops at episode ends', async (t) => {
  const r = new Float64Array([1, 1, 1]);
  const v = new Float64Array([0.5, 0.5, 0.5]);
  const adv = new Float64Array(3);
  const ret = new Float64Array(3);
  const noBoot = new Float64Array(3);
  const gammas = new Float64Array(3).fill(0.9);
  computeGae(r, v, new Uint8Array([0, 0, 1]), noBoot, gammas, 3, 0.8, adv, ret);
  const expected = [0.95 + 0.72 * (0.95 + 0.72 * 0.5), 0.95 + 0.72 * 0.5, 0.5];
  for (let i = 0; i < 3; i++) {
    t.ok(Math.abs(adv[i] - expected[i]) < 1e-12, `adv[${i}] ${adv[i]}`);
    t.ok(Math.abs(ret[i] - (expected[i] + 0.5)) < 1e-12);
  }
  computeGae(r, v, new Uint8Array([1, 0, 1]), noBoot, gammas, 3, 0.8, adv, ret);
  t.ok(Math.abs(adv[0] - 0.5) < 1e-12, 'no bootstrap across an episode boundary');
});

t.test('at a period end the return continues with the bootstrap value, discounted by that step\'s own discount', async (t) => {
  // Two executor months of one period (the second ends the segment, bootstrapped with the
  // strategist's value 10), then one month of the next period that ends the episode.
  const r = new Float64Array([1, 2, 3]);
  const v = new Float64Array([4, 5, 6]);
  const boot = new Float64Array([0, 10, 0]);
  const gammas = new Float64Array([0.9, 0.5, 0.9]);
  const adv = new Float64Array(3);
  const ret = new Float64Array(3);
  computeGae(r, v, new Uint8Array([0, 1, 1]), boot, gammas, 3, 1, adv, ret);
  // Step 1: 2 + 0.5·10 − 5 = 2 (no look-through into the next segment's values).
  t.ok(Math.abs(adv[1] - 2) < 1e-12, `adv[1] ${adv[1]}`);
  // Step 0 (λ = 1): δ0 = 1 + 0.9·5 − 4 = 1.5, A0 = 1.5 + 0.9·2 = 3.3; return = 1 + 0.9·(2 + 0.5·10) = 7.3.
  t.ok(Math.abs(adv[0] - 3.3) < 1e-12, `adv[0] ${adv[0]}`);
  t.ok(Math.abs(ret[0] - 7.3) < 1e-12);
  t.ok(Math.abs(adv[2] - (3 - 6)) < 1e-12, 'the episode end bootstraps nothing');
});

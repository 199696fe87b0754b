import t from 'tap';
import { Adam, Mlp, clipGradNorm } from '../../src/hrl/mlp.js';
import { Rng } from '../../src/hrl/rng.js';

t.test('backpropagation matches central finite differences', async (t) => {
  const rng = new Rng(3);
  const net = new Mlp([5, 7, 6, 3]);
  net.init(rng, 1);
  for (let i = 0; i < net.params.length; i++) net.params[i] += 0.1 * rng.normal(); // non-zero biases too
  const x = Float64Array.from({ length: 5 }, () => rng.normal());
  const c = [0.7, -1.3, 0.4];
  const loss = (): number => {
    const y = net.forward(x);
    return c[0] * y[0] + c[1] * y[1] + c[2] * y[2] + 0.5 * y[0] * y[0];
  };
  net.zeroGrad();
  const y = net.forward(x);
  net.backward([c[0] + y[0], c[1], c[2]]);
  const analytic = Float64Array.from(net.grads);
  let worst = 0;
  const h = 1e-6;
  for (let i = 0; i < net.params.length; i++) {
    const p = net.params[i];
    net.params[i] = p + h;
    const lp = loss();
    net.params[i] = p - h;
    const lm = loss();
    net.params[i] = p;
    const numeric = (lp - lm) / (2 * h);
    const err = Math.abs(numeric - analytic[i]) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic[i]));
    if (Math.abs(numeric) + Math.abs(analytic[i]) > 1e-9) worst = Math.max(worst, err);
  }
  t.ok(worst < 1e-6, `worst relative error ${worst}`);
});

t.test('gradients accumulate across samples until zeroGrad', async (t) => {
  const net = new Mlp([2, 3, 1]);
  net.init(new Rng(1), 1);
  const x = new Float64Array([0.5, -0.2]);
  net.zeroGrad();
  net.forward(x);
  net.backward([1]);
  const once = Float64Array.from(net.grads);
  net.forward(x);
  net.backward([1]);
  for (let i = 0; i < once.length; i++) t.ok(Math.abs(net.grads[i] - 2 * once[i]) < 1e-12);
});

t.test('Adam minimizes a quadratic and clipping bounds the gradient norm', async (t) => {
  const p = new Float64Array([3, -2]);
  const g = new Float64Array(2);
  const opt = new Adam(2, 0.1);
  for (let k = 0; k < 500; k++) {
    g[0] = 2 * p[0];
    g[1] = 2 * p[1];
    clipGradNorm(g, 1);
    opt.step(p, g);
  }
  t.ok(Math.abs(p[0]) < 0.05 && Math.abs(p[1]) < 0.05, `ended at ${p[0]}, ${p[1]}`);
  const big = new Float64Array([3, 4]);
  t.equal(clipGradNorm(big, 1), 5);
  t.ok(Math.abs(Math.hypot(big[0], big[1]) - 1) < 1e-12);
});

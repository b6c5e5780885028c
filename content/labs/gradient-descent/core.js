// Numerical core of the gradient-descent lab: the 2-D surfaces of mlatlas.foundations.surfaces
// and the optimiser steps of mlatlas.foundations.optimizers (SGD, heavy-ball momentum, Nesterov,
// RMSProp, Adam), same formulas, same update order. No DOM access; node --test checks whole
// trajectories against golden vectors written by the Python package.

const ANGLE = Math.PI / 6;
const [L1, L2] = [1.0, 25.0];
const c = Math.cos(ANGLE);
const s = Math.sin(ANGLE);
const QA = c * c * L1 + s * s * L2; // A[0,0] of R diag(1, 25) R^T
const QB = c * s * (L1 - L2); // A[0,1]
const QC = s * s * L1 + c * c * L2; // A[1,1]
const TWO_PI = 2.0 * Math.PI;

export const SURFACES = {
  quadratic: {
    label: 'Ill-conditioned quadratic (κ = 25)',
    f: (x, y) => 0.5 * (QA * x * x + 2.0 * QB * x * y + QC * y * y),
    grad: (x, y) => [QA * x + QB * y, QB * x + QC * y],
    xlim: [-3, 3], ylim: [-2, 2], start: [-2.5, -0.5], minima: [[0, 0]], lr: 0.03,
  },
  rosenbrock: {
    label: 'Rosenbrock banana',
    f: (x, y) => (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
    grad: (x, y) => {
      const r = y - x * x;
      return [-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r];
    },
    xlim: [-2, 2], ylim: [-1, 3], start: [-1.5, 2.0], minima: [[1, 1]], lr: 0.001,
  },
  himmelblau: {
    label: 'Himmelblau (four minima)',
    f: (x, y) => (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2,
    grad: (x, y) => {
      const u = x * x + y - 11.0;
      const v = x + y * y - 7.0;
      return [4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v];
    },
    xlim: [-5, 5], ylim: [-5, 5], start: [0, 0],
    minima: [[3, 2], [-2.805118, 3.131312], [-3.77931, -3.283186], [3.584428, -1.848127]], lr: 0.01,
  },
  saddle: {
    label: 'Saddle between two minima',
    f: (x, y) => 0.5 * x * x - 0.5 * y * y + 0.25 * y ** 4,
    grad: (x, y) => [x, -y + y ** 3],
    xlim: [-2, 2], ylim: [-1.6, 1.6], start: [1.5, 1e-3], minima: [[0, 1], [0, -1]], lr: 0.05,
  },
  rastrigin: {
    label: 'Rastrigin (many local minima)',
    f: (x, y) => 20.0 + x * x - 10.0 * Math.cos(TWO_PI * x) + y * y - 10.0 * Math.cos(TWO_PI * y),
    grad: (x, y) => [2.0 * x + 10.0 * TWO_PI * Math.sin(TWO_PI * x), 2.0 * y + 10.0 * TWO_PI * Math.sin(TWO_PI * y)],
    xlim: [-5.12, 5.12], ylim: [-5.12, 5.12], start: [3.2, 2.4], minima: [[0, 0]], lr: 0.002,
  },
};

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam'];

/** Fresh optimiser state for a 2-vector. */
export function initState() {
  return { step: 0, velocity: [0, 0], squareAvg: [0, 0], expAvg: [0, 0], expAvgSq: [0, 0] };
}

/**
 * One step of `name` at x (array of 2) with gradient g; mutates and returns {x, state}.
 * hp: {lr, momentum (0.9), alpha (0.99), beta1 (0.9), beta2 (0.999), eps (1e-8)}.
 */
export function step(name, x, g, state, hp) {
  const lr = hp.lr;
  const mu = hp.momentum ?? 0.9;
  const out = [0, 0];
  if (name === 'sgd') {
    for (let i = 0; i < 2; i++) out[i] = x[i] - lr * g[i]; // x <- x - eta g
  } else if (name === 'momentum' || name === 'nesterov') {
    for (let i = 0; i < 2; i++) {
      const b = mu * state.velocity[i] + g[i]; // b <- mu b + g
      const d = name === 'nesterov' ? g[i] + mu * b : b; // look-ahead for Nesterov
      state.velocity[i] = b;
      out[i] = x[i] - lr * d;
    }
  } else if (name === 'rmsprop') {
    const alpha = hp.alpha ?? 0.99;
    const eps = hp.eps ?? 1e-8;
    for (let i = 0; i < 2; i++) {
      const sq = alpha * state.squareAvg[i] + (1.0 - alpha) * g[i] * g[i]; // s <- a s + (1-a) g^2
      state.squareAvg[i] = sq;
      out[i] = x[i] - lr * (g[i] / (Math.sqrt(sq) + eps)); // x <- x - eta g / (sqrt s + eps)
    }
  } else if (name === 'adam') {
    const beta1 = hp.beta1 ?? 0.9;
    const beta2 = hp.beta2 ?? 0.999;
    const eps = hp.eps ?? 1e-8;
    const t = state.step + 1;
    const bc1 = 1.0 - beta1 ** t; // 1 - beta1^t
    const bc2 = 1.0 - beta2 ** t; // 1 - beta2^t
    for (let i = 0; i < 2; i++) {
      const m = beta1 * state.expAvg[i] + (1.0 - beta1) * g[i];
      const v = beta2 * state.expAvgSq[i] + (1.0 - beta2) * g[i] * g[i];
      state.expAvg[i] = m;
      state.expAvgSq[i] = v;
      const denom = Math.sqrt(v) / Math.sqrt(bc2) + eps;
      out[i] = x[i] - ((lr / bc1) * m) / denom; // bias-corrected step
    }
    state.step = t;
  } else {
    throw new RangeError(`unknown optimizer ${name}`);
  }
  return { x: out, state };
}

/** Iterates x_0..x_n and losses f(x_0)..f(x_n), like optimizers.trajectory_on_surface. */
export function trajectory(name, surfaceName, numSteps, hp, start) {
  const surf = SURFACES[surfaceName];
  if (!surf) throw new RangeError(`unknown surface ${surfaceName}`);
  let x = (start ?? surf.start).slice();
  let state = initState();
  const xs = [x.slice()];
  const losses = [surf.f(x[0], x[1])];
  for (let t = 0; t < numSteps; t++) {
    const g = surf.grad(x[0], x[1]);
    ({ x, state } = step(name, x, g, state, hp));
    xs.push(x.slice());
    losses.push(surf.f(x[0], x[1]));
  }
  return { xs, losses };
}

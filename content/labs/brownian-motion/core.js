// Numerical core of the brownian-motion lab: a port of mlatlas.stochastic.brownian_motion
// (exact Brownian motion with drift, geometric Brownian motion, quadratic variation) driven by the
// shared LabRandom, so the same seed gives the same paths as the Python package. No DOM access.
//
// Paths are Float64Arrays of shape (P, S+1) row-major; the one random draw is
// rng.standardNormal(P * S), read path by path, like _draw in the Python module.

/** t_k = k * (t_max / S), with t_S = t_max exactly (numpy.linspace(0, t_max, S + 1)). */
export function grid(numSteps, tMax) {
  const t = new Float64Array(numSteps + 1);
  const step = tMax / numSteps;
  for (let k = 0; k <= numSteps; k++) t[k] = k * step;
  t[numSteps] = tMax;
  return t;
}

function check(numPaths, numSteps, tMax) {
  if (!Number.isInteger(numPaths) || !Number.isInteger(numSteps) || numPaths < 1 || numSteps < 1) {
    throw new RangeError(`num_paths and num_steps must be integers >= 1, got ${numPaths} and ${numSteps}`);
  }
  if (!(tMax > 0) || !Number.isFinite(tMax)) throw new RangeError(`t_max must be positive, got ${tMax}`);
}

/** W on the grid: W_0 = 0, W_{k+1} = W_k + sqrt(dt) z_k. Returns {t, w}. */
export function wiener(rng, numPaths, numSteps, tMax = 1.0) {
  check(numPaths, numSteps, tMax);
  const t = grid(numSteps, tMax);
  const sq = Math.sqrt(tMax / numSteps);
  const z = rng.standardNormal(numPaths * numSteps);
  const S1 = numSteps + 1;
  const w = new Float64Array(numPaths * S1);
  for (let p = 0; p < numPaths; p++) {
    let acc = 0.0;
    for (let k = 0; k < numSteps; k++) {
      acc += sq * z[p * numSteps + k]; // cumulative sum of increments sqrt(dt) z
      w[p * S1 + k + 1] = acc;
    }
  }
  return { t, w };
}

/** X_t = x0 + mu t + sigma W_t (exact on the grid). Returns {t, x, w}. */
export function brownianMotion(rng, numPaths, numSteps, tMax = 1.0, drift = 0.0, sigma = 1.0, x0 = 0.0) {
  if (!(sigma >= 0)) throw new RangeError(`sigma must be >= 0, got ${sigma}`);
  const { t, w } = wiener(rng, numPaths, numSteps, tMax);
  const S1 = numSteps + 1;
  const x = new Float64Array(w.length);
  for (let p = 0; p < numPaths; p++) {
    for (let k = 0; k < S1; k++) x[p * S1 + k] = x0 + drift * t[k] + sigma * w[p * S1 + k];
  }
  return { t, x, w };
}

/** S_t = s0 exp((mu - sigma^2/2) t + sigma W_t), the exact GBM solution. Returns {t, x, w}. */
export function geometricBrownianMotion(rng, numPaths, numSteps, tMax = 1.0, mu = 0.05, sigma = 0.2, s0 = 1.0) {
  if (!(s0 > 0)) throw new RangeError(`s0 must be positive, got ${s0}`);
  const { t, w } = wiener(rng, numPaths, numSteps, tMax);
  const S1 = numSteps + 1;
  const x = new Float64Array(w.length);
  const a = mu - 0.5 * sigma ** 2;
  for (let p = 0; p < numPaths; p++) {
    for (let k = 0; k < S1; k++) x[p * S1 + k] = s0 * Math.exp(a * t[k] + sigma * w[p * S1 + k]);
  }
  return { t, x, w };
}

/** [X]_t = sum_{k < t} (X_{k+1} - X_k)^2 along each path: (P, S+1) -> (P, S+1). */
export function quadraticVariation(x, numPaths, S1) {
  const qv = new Float64Array(x.length);
  for (let p = 0; p < numPaths; p++) {
    let acc = 0.0;
    for (let k = 1; k < S1; k++) {
      const d = x[p * S1 + k] - x[p * S1 + k - 1];
      acc += d * d;
      qv[p * S1 + k] = acc;
    }
  }
  return qv;
}

/** Exact density at time t: Normal(x0 + mu t, sigma^2 t) or its lognormal image for GBM. */
export function exactDensity(kind, value, t, { drift = 0, sigma = 1, x0 = 0, mu = 0.05, s0 = 1 } = {}) {
  if (t <= 0 || sigma <= 0) return NaN;
  if (kind === 'arithmetic') {
    const sd = sigma * Math.sqrt(t);
    const z = (value - x0 - drift * t) / sd;
    return Math.exp(-0.5 * z * z) / (sd * Math.sqrt(2 * Math.PI));
  }
  if (value <= 0) return 0;
  const m = Math.log(s0) + (mu - 0.5 * sigma * sigma) * t; // log S_t ~ N(m, sigma^2 t)
  const sd = sigma * Math.sqrt(t);
  const z = (Math.log(value) - m) / sd;
  return Math.exp(-0.5 * z * z) / (value * sd * Math.sqrt(2 * Math.PI));
}

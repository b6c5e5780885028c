// Numerical core of the distribution-morphing lab: squared-Euclidean costs, the exact optimal
// transport plan (min-cost flow by successive shortest paths), log-domain Sinkhorn, and McCann's
// displacement interpolation. No DOM access; node --test checks plans and costs against golden
// vectors written from mlatlas.transport.
//
// Points are Float64Arrays of interleaved (x, y); weights a (n), b (m) sum to 1; a plan P is a
// Float64Array (n, m) row-major with row sums a and column sums b.

/** C_ij = ||x_i - y_j||^2. */
export function sqCost(xs, ys) {
  const n = xs.length / 2;
  const m = ys.length / 2;
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const dx = xs[2 * i] - ys[2 * j];
      const dy = xs[2 * i + 1] - ys[2 * j + 1];
      C[i * m + j] = dx * dx + dy * dy;
    }
  }
  return C;
}

export function uniform(n) {
  return new Float64Array(n).fill(1 / n);
}

/**
 * Exact OT: min <P, C> s.t. P 1 = a, P^T 1 = b, P >= 0 (the Kantorovich linear programme),
 * solved as a min-cost flow source -> supplies -> demands -> sink by successive shortest paths
 * (Dijkstra with Johnson potentials; reverse edges carry the flow back). Every augmentation
 * empties a supply, fills a demand or cancels an edge, so at most a few (n + m) rounds.
 * Returns {plan, cost}.
 */
export function exactOT(a, b, C) {
  const n = a.length;
  const m = b.length;
  if (C.length !== n * m) throw new RangeError('C must be n x m');
  const total = a.reduce((s, v) => s + v, 0);
  const totalB = b.reduce((s, v) => s + v, 0);
  if (Math.abs(total - totalB) > 1e-9 * Math.max(1, total)) throw new RangeError('a and b must have equal mass');
  const tol = 1e-13 * total;
  const supply = Float64Array.from(a);
  const demand = Float64Array.from(b);
  const P = new Float64Array(n * m);
  // nodes: supplies 0..n-1, demands n..n+m-1; the source and sink are implicit.
  const pot = new Float64Array(n + m); // Johnson potentials keep reduced costs >= 0
  const dist = new Float64Array(n + m);
  const prev = new Int32Array(n + m);
  const done = new Uint8Array(n + m);
  let round = 0;
  for (; round < 50 * (n + m) + 100; round++) {
    let remaining = 0;
    for (let i = 0; i < n; i++) remaining += supply[i];
    if (remaining <= tol) break;
    dist.fill(Infinity);
    prev.fill(-1);
    done.fill(0);
    for (let i = 0; i < n; i++) if (supply[i] > tol) dist[i] = -pot[i]; // source -> i, cost 0
    let best = -1;
    let bestDist = Infinity;
    for (;;) {
      let u = -1;
      let du = Infinity;
      for (let k = 0; k < n + m; k++) if (!done[k] && dist[k] < du) { du = dist[k]; u = k; }
      if (u < 0) break;
      done[u] = 1;
      if (u < n) {
        for (let j = 0; j < m; j++) { // forward edge i -> j, infinite capacity
          const w = n + j;
          if (done[w]) continue; // settled: round-off can make a reduced cost slightly negative
          const nd = du + C[u * m + j] + pot[u] - pot[w];
          if (nd < dist[w]) { dist[w] = nd; prev[w] = u; }
        }
      } else {
        const j = u - n;
        if (demand[j] > tol) { // demand j -> sink
          const dSink = du + pot[u];
          if (dSink < bestDist) { bestDist = dSink; best = u; }
        }
        for (let i = 0; i < n; i++) { // reverse edge j -> i where flow exists
          if (!done[i] && P[i * m + j] > tol) {
            const nd = du - C[i * m + j] + pot[u] - pot[i];
            if (nd < dist[i]) { dist[i] = nd; prev[i] = u; }
          }
        }
      }
    }
    if (best < 0) throw new Error('exactOT: no augmenting path (masses do not balance)');
    for (let k = 0; k < n + m; k++) if (dist[k] < Infinity) pot[k] += dist[k];
    // bottleneck along the path sink <- best <- ... <- supply i0 <- source
    let delta = demand[best - n];
    let v = best;
    while (prev[v] >= 0) {
      const u = prev[v];
      if (v < n) delta = Math.min(delta, P[v * m + (u - n)]); // reverse edge u=j -> v=i
      v = u;
    }
    delta = Math.min(delta, supply[v]);
    demand[best - n] -= delta;
    supply[v] -= delta;
    v = best;
    while (prev[v] >= 0) {
      const u = prev[v];
      if (v >= n) P[u * m + (v - n)] += delta; // forward i -> j: more flow
      else P[v * m + (u - n)] -= delta; // reverse j -> i: cancel flow
      v = u;
    }
  }
  let cost = 0;
  for (let k = 0; k < n * m; k++) cost += P[k] * C[k];
  return { plan: P, cost, rounds: round };
}

function logSumExp(values) {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

/**
 * Log-domain Sinkhorn, the same iteration as mlatlas.transport.sinkhorn.sinkhorn_log: potentials
 * alpha = f/eps, beta = g/eps, plan P_ij = exp(alpha_i + beta_j - C_ij/eps), g-step then f-step:
 *   beta_j  <- beta_j  + log b_j - log sum_i P_ij      (columns match b)
 *   alpha_i <- alpha_i + log a_i - log sum_j P_ij      (rows match a)
 * After a g-step every exponent is <= 0, so nothing overflows; a column or row whose sum underflows
 * (tiny eps) is recomputed with a max-shifted log-sum-exp, so the plan stays finite at small eps.
 * Stops when the column marginal error (L1, checked before each g-step) is <= tol.
 * Pass {alpha, beta} from a previous result to continue (the lab iterates a few steps per frame).
 * Returns {plan, cost = <P, C>, f, g, alpha, beta, iterations, error, converged}.
 */
export function sinkhornLog(a, b, C, eps, { maxIter = 1000, tol = 1e-9, alpha, beta } = {}) {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`eps must be a positive number, got ${eps}`);
  const M = a.length;
  const N = b.length;
  const logA = a.map(Math.log);
  const logB = b.map(Math.log);
  const Ce = C.map((c) => c / eps); // cost in units of eps
  alpha = alpha ? Float64Array.from(alpha) : new Float64Array(M);
  beta = beta ? Float64Array.from(beta) : new Float64Array(N);
  const P = new Float64Array(M * N);
  const col = new Float64Array(N);
  const row = new Float64Array(M);
  let error = Infinity;
  let it = 0;
  for (it = 1; it <= maxIter; it++) {
    // g-step
    col.fill(0);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const p = Math.exp(alpha[i] + beta[j] - Ce[i * N + j]);
        P[i * N + j] = p;
        col[j] += p;
      }
    }
    error = 0;
    for (let j = 0; j < N; j++) error += Math.abs(col[j] - b[j]);
    if (tol > 0 && error <= tol) break;
    for (let j = 0; j < N; j++) {
      if (col[j] > 1e-100 && col[j] < Infinity) beta[j] = beta[j] + logB[j] - Math.log(col[j]);
      else {
        const z = new Float64Array(M);
        for (let i = 0; i < M; i++) z[i] = alpha[i] - Ce[i * N + j];
        beta[j] = logB[j] - logSumExp(z);
      }
    }
    // f-step
    for (let i = 0; i < M; i++) {
      let r = 0;
      for (let j = 0; j < N; j++) r += Math.exp(alpha[i] + beta[j] - Ce[i * N + j]);
      row[i] = r;
    }
    for (let i = 0; i < M; i++) {
      if (row[i] > 1e-100 && row[i] < Infinity) alpha[i] = alpha[i] + logA[i] - Math.log(row[i]);
      else {
        const z = new Float64Array(N);
        for (let j = 0; j < N; j++) z[j] = beta[j] - Ce[i * N + j];
        alpha[i] = logA[i] - logSumExp(z);
      }
    }
  }
  let cost = 0;
  const colSum = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const p = Math.exp(alpha[i] + beta[j] - Ce[i * N + j]); // P = exp((f + g - C)/eps)
      P[i * N + j] = p;
      colSum[j] += p;
      cost += p * C[i * N + j];
    }
  }
  error = 0;
  for (let j = 0; j < N; j++) error += Math.abs(colSum[j] - b[j]);
  const f = alpha.map((v) => eps * v);
  const g = beta.map((v) => eps * v);
  return { plan: P, cost, f, g, alpha, beta, iterations: Math.min(it, maxIter), error, converged: error <= tol };
}

/**
 * McCann's displacement interpolation at time t from a plan: every pair (i, j) with mass
 * P_ij > threshold * max P moves along the straight line (1 - t) x_i + t y_j
 * (mlatlas.transport.displacement_interpolation).
 * Returns {points: Float64Array (2K), mass: Float64Array (K)}.
 */
export function displacement(xs, ys, P, t, threshold = 1e-12) {
  const n = xs.length / 2;
  const m = ys.length / 2;
  const pts = [];
  const mass = [];
  let pMax = 0;
  for (const p of P) pMax = Math.max(pMax, p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const p = P[i * m + j];
      if (p > threshold * pMax) {
        pts.push((1 - t) * xs[2 * i] + t * ys[2 * j], (1 - t) * xs[2 * i + 1] + t * ys[2 * j + 1]);
        mass.push(p);
      }
    }
  }
  return { points: Float64Array.from(pts), mass: Float64Array.from(mass) };
}

// ------------------------------------------------------------------ point-cloud presets

/** n points of a preset cloud ('gaussian-a', 'gaussian-b', 'moons-a', 'moons-b', 'ring', 'disc'). */
export function preset(name, n, rng) {
  const u = rng.uniform(n);
  const z = rng.standardNormal(2 * n);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    let x;
    let y;
    if (name === 'gaussian-a') { x = -0.5 + 0.18 * z[2 * i]; y = -0.2 + 0.3 * z[2 * i + 1]; }
    else if (name === 'gaussian-b') { x = 0.5 + 0.3 * z[2 * i]; y = 0.25 + 0.12 * z[2 * i + 1]; }
    else if (name === 'moons-a') {
      const t = Math.PI * u[i];
      x = 0.6 * Math.cos(t) - 0.3 + 0.05 * z[2 * i]; y = 0.6 * Math.sin(t) - 0.15 + 0.05 * z[2 * i + 1];
    } else if (name === 'moons-b') {
      const t = Math.PI * u[i];
      x = 0.3 - 0.6 * Math.cos(t) + 0.05 * z[2 * i]; y = 0.15 - 0.6 * Math.sin(t) + 0.05 * z[2 * i + 1];
    } else if (name === 'ring') {
      const t = 2 * Math.PI * u[i];
      x = 0.7 * Math.cos(t) + 0.04 * z[2 * i]; y = 0.7 * Math.sin(t) + 0.04 * z[2 * i + 1];
    } else if (name === 'disc') {
      x = 0.2 * z[2 * i]; y = 0.2 * z[2 * i + 1];
    } else throw new RangeError(`unknown preset ${name}`);
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
}

export const PAIRS = {
  gaussians: ['gaussian-a', 'gaussian-b'],
  moons: ['moons-a', 'moons-b'],
  rings: ['disc', 'ring'],
};

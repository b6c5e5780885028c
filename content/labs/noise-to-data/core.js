// Numerical core of the noise-to-data lab: the forward pass of mlatlas.generative.networks.TimeMLP
// on exported weights, Euler integration of a flow-matching velocity (mlatlas.generative.flow_matching
// .euler), DDPM ancestral steps on a respaced linear schedule (mlatlas.generative.ddpm.ddpm_step with
// mlatlas.labs.noise_to_data.respaced_schedule), the energy distance and Liu et al.'s straightness.
// No DOM access; node --test checks whole sampler trajectories against golden vectors written by the
// package from the same LabRandom noise.
//
// Points are Float64Arrays of interleaved (x, y); everything runs in float64 on the float16 weights.

import { LabRandom } from '../shared/rng.js';

const F = 2; // features

// ------------------------------------------------------------------ weights

/** IEEE half precision bits -> the number they encode (exact in float64). */
export function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and zero)
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The .bin's numbers as float64: little-endian float16 (what the package ships) or float32. */
export function decodeWeights(buffer, dtype) {
  const view = new DataView(buffer);
  if (dtype === 'float16-le') {
    const out = new Float64Array(buffer.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    return out;
  }
  if (dtype === 'float32-le') {
    const out = new Float64Array(buffer.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  throw new RangeError(`unknown weight dtype ${dtype}`);
}

/**
 * Networks of one target from model.json's entry and the target's .bin (little-endian float16).
 * Returns {nets: {kind: net}, reference: Float64Array} where a net is
 * {freqs, layers: [{W (out x in, row-major), b, nIn, nOut}], hidden}.
 */
export function loadTarget(meta, target, buffer) {
  const entry = meta.targets[target];
  if (!entry) throw new RangeError(`unknown target ${target}; exported: ${Object.keys(meta.targets).join(', ')}`);
  const flat = decodeWeights(buffer, meta.dtype);
  const take = (offset, size) => flat.slice(offset, offset + size);
  const cfg = meta.config;
  const nets = {};
  for (const [kind, table] of Object.entries(entry.tensors)) {
    const byName = Object.fromEntries(table.map((t) => [t.name, t]));
    const layers = [];
    for (let k = 0; k <= 2 * cfg.layers; k += 2) { // net.0, net.2, ... (SiLU between, none after the last)
      const w = byName[`net.${k}.weight`];
      const b = byName[`net.${k}.bias`];
      if (!w || !b) throw new RangeError(`${target}/${kind}: missing layer net.${k}`);
      const [nOut, nIn] = w.shape;
      layers.push({ W: take(w.offset, nOut * nIn), b: take(b.offset, nOut), nIn, nOut });
    }
    nets[kind] = { layers, freqs: timeFrequencies(cfg.time_frequencies), hidden: cfg.hidden };
  }
  const reference = take(entry.reference_offset, 2 * meta.reference_points);
  return { nets, reference };
}

/** TimeMLP's frequencies π 2^k / 2, k = 0..K-1, computed in float32 as the module's buffer is. */
export function timeFrequencies(K) {
  const pi32 = Math.fround(Math.PI);
  return Float64Array.from({ length: K }, (_, k) => (pi32 * 2 ** k) / 2); // powers of two: exact
}

// ------------------------------------------------------------------ the network

const silu = (v) => v / (1 + Math.exp(-v));

/**
 * f(x, t) for every point: input [x, y, sin(t f_0..f_{K-1}), cos(t f_0..f_{K-1})], Linear + SiLU
 * blocks, a final Linear. t is a number (the same time for every point). Writes into `out` (2N);
 * only points from..to-1 if given (each point's output depends on that point alone).
 */
export function forward(net, xs, t, out = new Float64Array(xs.length), from = 0, to = xs.length / F) {
  const K = net.freqs.length;
  const width = Math.max(...net.layers.map((l) => Math.max(l.nIn, l.nOut)));
  let a = new Float64Array(width);
  let b = new Float64Array(width);
  const emb = new Float64Array(2 * K);
  for (let k = 0; k < K; k++) {
    const angle = t * net.freqs[k];
    emb[k] = Math.sin(angle);
    emb[K + k] = Math.cos(angle);
  }
  const last = net.layers.length - 1;
  for (let p = from; p < to; p++) {
    a[0] = xs[F * p];
    a[1] = xs[F * p + 1];
    a.set(emb, F);
    for (let l = 0; l <= last; l++) {
      const { W, b: bias, nIn, nOut } = net.layers[l];
      for (let o = 0; o < nOut; o++) {
        let s = bias[o];
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) s += W[row + i] * a[i];
        b[o] = l < last ? silu(s) : s;
      }
      const tmp = a; a = b; b = tmp;
    }
    out[F * p] = a[0];
    out[F * p + 1] = a[1];
  }
  return out;
}

// ------------------------------------------------------------------ DDPM schedule

/** Ho et al.'s linear β schedule, float64, with torch.linspace's arithmetic (both halves). */
export function linearSchedule(T = 1000, betaStart = 1e-4, betaEnd = 0.02) {
  if (!(Number.isInteger(T) && T >= 2)) throw new RangeError('the schedule needs at least 2 steps');
  const step = (betaEnd - betaStart) / (T - 1);
  const betas = new Float64Array(T);
  const halfway = Math.floor(T / 2);
  for (let i = 0; i < T; i++) betas[i] = i < halfway ? betaStart + step * i : betaEnd - step * (T - 1 - i);
  const alphas = betas.map((b) => 1 - b);
  const alphaBar = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) { prod *= alphas[i]; alphaBar[i] = prod; }
  return { betas, alphas, alphaBar, T };
}

/** The S kept steps, descending, the first T - 1: floor(T (S - k) / S) - 1 for k = 0..S-1. */
export function trailingTimesteps(T, S) {
  if (!Number.isInteger(S) || S < 1 || S > T) throw new RangeError(`steps must be an integer in [1, ${T}], got ${S}`);
  return Array.from({ length: S }, (_, k) => Math.floor((T * (S - k)) / S) - 1);
}

/** Respaced schedule of the kept steps (ascending): ᾱ'_i = ᾱ_{τ_i}, α'_i = ᾱ'_i / ᾱ'_{i-1}, β' = 1 - α'. */
export function respacedSchedule(schedule, taus) {
  const asc = [...taus].sort((p, q) => p - q);
  const alphaBar = Float64Array.from(asc, (tau) => schedule.alphaBar[tau]);
  const alphas = alphaBar.map((ab, i) => ab / (i === 0 ? 1 : alphaBar[i - 1]));
  const betas = alphas.map((a) => 1 - a);
  return { betas, alphas, alphaBar, T: asc.length };
}

/**
 * One ancestral step x_t -> x_{t-1} at index i of `schedule` (Ho et al. eq. 11 with σ² = β̃, eq. 7),
 * in place on xs: mean = (x - β/√(1-ᾱ) ε̂) / √α, then + √β̃ z unless i = 0.
 */
export function ddpmStep(schedule, epsHat, i, xs, z, from = 0, to = xs.length) {
  const beta = schedule.betas[i];
  const alphaBar = schedule.alphaBar[i];
  const c = beta / Math.sqrt(1 - alphaBar);
  const sa = Math.sqrt(schedule.alphas[i]);
  const sd = i > 0 ? Math.sqrt(((1 - schedule.alphaBar[i - 1]) / (1 - alphaBar)) * beta) : 0;
  if (i > 0 && !z) throw new RangeError('ddpmStep needs noise z for i > 0');
  for (let k = from; k < to; k++) {
    const mean = (xs[k] - c * epsHat[k]) / sa;
    xs[k] = i > 0 ? mean + sd * z[k] : mean;
  }
  return xs;
}

// ------------------------------------------------------------------ samplers (one step at a time)

/**
 * A sampler that can do part of a step: advance(count) moves up to `count` more points through the
 * current step (points are independent within a step, so chunks give exactly the numbers of a whole
 * step) and returns true when the step is complete; step() does a whole step.
 */
function chunked(points, steps, beginStep, doPoints) {
  let k = 0; // completed steps
  let next = 0; // first point not yet moved in step k
  const sampler = {
    steps, get k() { return k; },
    get done() { return k >= steps; },
    advance(count) {
      if (k >= steps) return true;
      if (next === 0) beginStep(k);
      const to = Math.min(points, next + count);
      doPoints(k, next, to);
      next = to;
      if (next < points) return false;
      next = 0;
      k++;
      return true;
    },
    step() {
      sampler.advance(Infinity);
      return sampler.x;
    },
  };
  return sampler;
}

/**
 * Euler sampler of a velocity network: x_{k+1} = x_k + h v(x_k, k h), h = 1/S, from x_0 = the first
 * 2N normals of LabRandom(seed). step() advances one step and returns the new positions.
 */
export function flowSampler(net, { steps, points, seed }) {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const x = new LabRandom(seed).standardNormal(F * points);
  const v = new Float64Array(x.length);
  const h = 1.0 / steps;
  const sampler = chunked(points, steps, () => {}, (k, from, to) => {
    forward(net, x, k * h, v, from, to);
    for (let i = F * from; i < F * to; i++) x[i] += h * v[i];
  });
  sampler.x = x;
  sampler.time = () => sampler.k * h; // the flow's t of the current positions (0 = noise, 1 = data)
  return sampler;
}

/**
 * DDPM ancestral sampler with S respaced steps of a T-step ε-network: x from the first 2N normals of
 * LabRandom(seed) (the same x_0 as flowSampler), then one 2N draw of z per step but the last.
 */
export function ddpmSampler(net, schedule, { steps, points, seed }) {
  const taus = trailingTimesteps(schedule.T, steps);
  const short = respacedSchedule(schedule, taus);
  const rng = new LabRandom(seed);
  const x = rng.standardNormal(F * points);
  const eps = new Float64Array(x.length);
  let z = null;
  const sampler = chunked(points, steps, (k) => {
    const i = steps - 1 - k;
    z = i > 0 ? rng.standardNormal(x.length) : null; // the whole step's noise, drawn at its start
  }, (k, from, to) => {
    const i = steps - 1 - k;
    // network time (τ + 1) / T rounded to float32, exactly as ddpm.network_time computes it
    forward(net, x, Math.fround((taus[k] + 1) / schedule.T), eps, from, to);
    ddpmStep(short, eps, i, x, z, F * from, F * to);
  });
  sampler.x = x;
  sampler.taus = taus;
  sampler.time = () => (sampler.k >= steps ? 1 : 1 - (taus[sampler.k] + 1) / schedule.T); // 0 noise, 1 data
  return sampler;
}

/** Run a sampler to the end, returning every frame (S + 1 Float64Arrays). */
export function runPath(sampler) {
  const frames = [Float64Array.from(sampler.x)];
  while (!sampler.done) frames.push(Float64Array.from(sampler.step()));
  return frames;
}

// ------------------------------------------------------------------ measurements

/** Energy distance √(2E|X-Y| - E|X-X'| - E|Y-Y'|) with all pairs (V-statistic), as distances.energy_distance. */
export function energyDistance(xs, ys) {
  const meanDist = (p, q) => {
    const n = p.length / F;
    const m = q.length / F;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const px = p[F * i];
      const py = p[F * i + 1];
      for (let j = 0; j < m; j++) {
        const dx = px - q[F * j];
        const dy = py - q[F * j + 1];
        s += Math.sqrt(dx * dx + dy * dy);
      }
    }
    return s / (n * m);
  };
  return Math.sqrt(Math.max(0, 2 * meanDist(xs, ys) - meanDist(xs, xs) - meanDist(ys, ys)));
}

/** Mean over the points of the distance to the nearest reference point, as noise_to_data.nearest_distance. */
export function nearestDistance(xs, ref) {
  const n = xs.length / F;
  const m = ref.length / F;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      const dx = xs[F * i] - ref[F * j];
      const dy = xs[F * i + 1] - ref[F * j + 1];
      const d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2;
    }
    s += Math.sqrt(best);
  }
  return s / n;
}

/** Straightness of an Euler path: mean over steps and points of |(x_S - x_0) - S (x_{k+1} - x_k)|². */
export function straightness(frames) {
  const S = frames.length - 1;
  const first = frames[0];
  const lastF = frames[S];
  const n = first.length / F;
  let s = 0;
  for (let k = 0; k < S; k++) {
    for (let i = 0; i < first.length; i++) {
      const d = lastF[i] - first[i] - S * (frames[k + 1][i] - frames[k][i]);
      s += d * d;
    }
  }
  return s / (S * n);
}

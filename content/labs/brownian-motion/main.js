// Brownian-motion lab: simulate many paths, compare the histogram at time t with the exact density,
// and watch the quadratic variation grow like sigma^2 t. UI only; paths come from core.js driven by
// the shared LabRandom (the same seed gives the same paths as mlatlas.stochastic.brownian_motion).
import { LabRandom } from '../shared/rng.js';
import {
  button, el, fmt, frameTick, injectStyle, labProbe, makeCanvas, mountWidth, onTheme, panelWidth, readParams, resizeCanvas,
  select, slider, theme, writeParams,
} from '../shared/ui.js';
import { brownianMotion, exactDensity, geometricBrownianMotion, quadraticVariation } from './core.js';

const MAX_NORMALS = 400000; // paths x steps per simulation (keeps a redraw under a frame budget)
const DRAWN_PATHS = 80; // paths drawn as lines; all of them feed the histogram

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('brownian-motion');

const schema = {
  kind: { type: 'enum', values: ['arithmetic', 'geometric'], default: 'arithmetic' },
  mu: { type: 'number', min: -2, max: 2, default: 0.2 },
  sigma: { type: 'number', min: 0.01, max: 2, default: 0.5 },
  x0: { type: 'number', min: 0.1, max: 10, default: 1 },
  paths: { type: 'int', min: 1, max: 2000, default: 500 },
  steps: { type: 'int', min: 4, max: 2000, default: 250 },
  T: { type: 'number', min: 0.1, max: 10, default: 1 },
  t: { type: 'number', min: 0, max: 1, default: 1 },
  seed: { type: 'int', min: 0, max: 4294967295, default: 7 },
};
const { values: P, notes } = readParams(schema);
let T = theme();
let sim = null;
let reveal = 1; // fraction of the time axis drawn (animated after Simulate)
let animating = false;

const kindSel = select({ label: 'Process', value: P.kind, options: [['arithmetic', 'Arithmetic: X = x₀ + μt + σW'],
  ['geometric', 'Geometric: S = S₀ exp((μ − σ²/2)t + σW)']], onChange: () => simulate() });
const muS = slider({ label: 'Drift μ', min: -2, max: 2, step: 0.05, value: P.mu, format: (v) => v.toFixed(2), onInput: () => simulate(false) });
const sigmaS = slider({ label: 'Volatility σ', min: 0.01, max: 2, step: 0.01, value: P.sigma, format: (v) => v.toFixed(2), onInput: () => simulate(false) });
const x0S = slider({ label: 'Start x₀ / S₀', min: 0.1, max: 10, step: 0.1, value: P.x0, format: (v) => v.toFixed(1), onInput: () => simulate(false) });
const pathsS = slider({ label: 'Paths', min: 1, max: 2000, step: 1, value: P.paths, format: String, onInput: () => simulate(false) });
const stepsS = slider({ label: 'Steps', min: 4, max: 2000, step: 1, value: P.steps, format: String, onInput: () => simulate(false) });
const horizonS = slider({ label: 'Horizon T', min: 0.1, max: 10, step: 0.1, value: P.T, format: (v) => v.toFixed(1), onInput: () => simulate(false) });
const tS = slider({ label: 'Histogram at t / T', min: 0, max: 1, step: 0.01, value: P.t, format: (v) => v.toFixed(2), onInput: () => { save(); draw(); } });
const seedId = 'bm-seed';
const seedIn = el('input', { type: 'number', id: seedId, min: 0, max: 4294967295, step: 1, value: P.seed, style: 'width:8rem' });
const seedField = el('div', { class: 'lab-field' }, [el('label', { for: seedId, text: 'Seed' }), seedIn]);
seedIn.addEventListener('change', () => simulate());
const simBtn = button('Simulate', () => simulate(true), { class: 'primary' });
const newSeedBtn = button('New seed', () => { seedIn.value = String((Number(seedIn.value) * 1103515245 + 12345) % 2147483648); simulate(true); });

const W = mountWidth(mount);
// the paths take the column; the histogram and QV plots sit side by side on a laptop, stacked on a phone
const pathsPlot = makeCanvas(panelWidth(W, 1), 260, 'Simulated paths against time, with the histogram time marked');
const histPlot = makeCanvas(panelWidth(W, 2), 200, 'Histogram of the paths at the chosen time against the exact density');
const qvPlot = makeCanvas(panelWidth(W, 2), 200, 'Running quadratic variation of a few paths against sigma squared t');
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [kindSel.root, muS.root, sigmaS.root, x0S.root, pathsS.root, stepsS.root,
    horizonS.root, tS.root, seedField,
    el('div', { class: 'lab-field' }, [el('span', { class: 'lab-name', text: 'Controls' }), el('div', { class: 'lab-row' }, [simBtn, newSeedBtn])])]),
  status, note, // the readouts sit right under the controls that move them (on a phone too)
  el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: `Paths (first ${DRAWN_PATHS} drawn; mean path dashed)` }), pathsPlot.canvas]),
  el('div', { class: 'lab-row' }, [
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Histogram at t vs exact density' }), histPlot.canvas]),
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Quadratic variation [X]ₜ (log S for GBM) vs σ²t' }), qvPlot.canvas]),
  ]),
]));

function readSeed() {
  const v = Number(seedIn.value);
  if (!Number.isFinite(v) || v < 0 || v > 4294967295 || !Number.isInteger(v)) {
    const fixed = Number.isFinite(v) ? Math.min(4294967295, Math.max(0, Math.round(v))) : 7;
    note.textContent = `The seed must be a whole number from 0 to 4294967295; using ${fixed}.`;
    notes.length = 0;
    seedIn.value = String(fixed);
    return fixed;
  }
  return v;
}

function simulate(animate = true) {
  let paths = pathsS.get();
  const steps = stepsS.get();
  if (paths * steps > MAX_NORMALS) {
    paths = Math.max(1, Math.floor(MAX_NORMALS / steps));
    note.textContent = [...notes, `${pathsS.get()} paths × ${steps} steps is more than the lab simulates at once; using ${paths} paths.`].join('; ');
  } else note.textContent = notes.join('; ');
  const seed = readSeed();
  const rng = new LabRandom(seed);
  const kind = kindSel.get();
  const horizon = horizonS.get();
  const res = kind === 'arithmetic'
    ? brownianMotion(rng, paths, steps, horizon, muS.get(), sigmaS.get(), x0S.get())
    : geometricBrownianMotion(rng, paths, steps, horizon, muS.get(), sigmaS.get(), x0S.get());
  const S1 = steps + 1;
  const series = kind === 'arithmetic' ? res.x : res.x.map(Math.log);
  const nq = Math.min(paths, 5);
  sim = { ...res, kind, paths, steps, S1, horizon, seed, qv: quadraticVariation(series.subarray(0, nq * S1), nq, S1), nq };
  save();
  if (animate) {
    reveal = 0;
    if (!animating) {
      animating = true;
      probe.animating = true;
      requestAnimationFrame(tick);
    }
  } else draw();
}

function tick(ts) {
  frameTick(probe, ts);
  reveal = Math.min(1, reveal + 1 / 90); // about 1.5 s to draw the paths across
  draw();
  if (reveal < 1) requestAnimationFrame(tick);
  else {
    animating = false;
    probe.animating = false;
  }
}

function axes(c, xlo, xhi, ylo, yhi, xlab) {
  const { ctx, w, h } = c;
  const L = 42;
  const B = 20;
  const X = (x) => L + ((x - xlo) / (xhi - xlo)) * (w - L - 8);
  const Y = (y) => h - B - ((y - ylo) / (yhi - ylo)) * (h - B - 8);
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = T.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(L, 6); ctx.lineTo(L, h - B); ctx.lineTo(w - 6, h - B);
  ctx.stroke();
  ctx.fillStyle = T.muted;
  ctx.font = '11px sans-serif';
  ctx.fillText(fmt(yhi, 2), 2, 14);
  ctx.fillText(fmt(ylo, 2), 2, h - B);
  ctx.fillText(fmt(xlo, 2), L, h - 5);
  const hiLabel = `${fmt(xhi, 2)} ${xlab}`;
  ctx.fillText(hiLabel, w - 8 - ctx.measureText(hiLabel).width, h - 5);
  return { X, Y };
}

function draw() {
  if (!sim) return;
  probe.metrics = { seed: sim.seed, paths: sim.paths, steps: sim.steps, kind: sim.kind, reveal,
    last: Array.from(sim.x.subarray(sim.S1 - 1, sim.S1)), finite: sim.x.every(Number.isFinite) };
  const { t, x, paths, S1, horizon } = sim;
  const upto = Math.max(1, Math.round(reveal * (S1 - 1)));
  // robust y-range: 1st..99th percentile of the values at the final time, plus the start
  const finals = [];
  for (let p = 0; p < paths; p++) finals.push(x[p * S1 + S1 - 1]);
  finals.sort((a, b) => a - b);
  let lo = Math.min(finals[Math.floor(0.005 * (paths - 1))], x[0]);
  let hi = Math.max(finals[Math.ceil(0.995 * (paths - 1))], x[0]);
  for (let p = 0; p < Math.min(paths, DRAWN_PATHS); p++) {
    for (let k = 0; k < S1; k += Math.max(1, Math.floor(S1 / 200))) { lo = Math.min(lo, x[p * S1 + k]); hi = Math.max(hi, x[p * S1 + k]); }
  }
  if (!(hi > lo)) hi = lo + 1;
  const pad = 0.05 * (hi - lo);
  const { X, Y } = axes(pathsPlot, 0, horizon, lo - pad, hi + pad, 't');
  const ctx = pathsPlot.ctx;
  ctx.lineWidth = 1;
  const stride = Math.max(1, Math.floor((S1 - 1) / (pathsPlot.w - 50))); // at most one vertex per pixel
  for (let p = 0; p < Math.min(paths, DRAWN_PATHS); p++) {
    ctx.strokeStyle = T.series[p % T.series.length];
    ctx.globalAlpha = 0.55;
    ctx.beginPath();
    ctx.moveTo(X(t[0]), Y(x[p * S1]));
    for (let k = stride; k <= upto; k += stride) ctx.lineTo(X(t[k]), Y(x[p * S1 + k]));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  // mean path and the marker of the histogram time
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = T.fg;
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let k = 0; k <= upto; k += stride) {
    let m = 0;
    for (let p = 0; p < paths; p++) m += x[p * S1 + k];
    if (k === 0) ctx.moveTo(X(t[k]), Y(m / paths)); else ctx.lineTo(X(t[k]), Y(m / paths));
  }
  ctx.stroke();
  ctx.setLineDash([]);
  const kStar = Math.round(tS.get() * (S1 - 1));
  const tStar = t[kStar];
  ctx.strokeStyle = T.accent;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(X(tStar), 6); ctx.lineTo(X(tStar), pathsPlot.h - 20);
  ctx.stroke();
  drawHistogram(kStar, tStar);
  drawQV();
}

function drawHistogram(kStar, tStar) {
  const { x, paths, S1, kind } = sim;
  const vals = new Float64Array(paths);
  for (let p = 0; p < paths; p++) vals[p] = x[p * S1 + kStar];
  const sorted = Float64Array.from(vals).sort();
  let lo = sorted[Math.floor(0.002 * (paths - 1))];
  let hi = sorted[Math.ceil(0.998 * (paths - 1))];
  const opts = { drift: muS.get(), sigma: sigmaS.get(), x0: x0S.get(), mu: muS.get(), s0: x0S.get() };
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const bins = Math.max(8, Math.min(50, Math.round(Math.sqrt(paths) * 1.5)));
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  let inside = 0;
  for (const v of vals) {
    const b = Math.floor((v - lo) / width);
    if (b >= 0 && b < bins) { counts[b]++; inside++; }
  }
  const dens = counts.map((c) => c / (paths * width));
  const grid = Array.from({ length: 120 }, (_, i) => lo + ((i + 0.5) / 120) * (hi - lo));
  const exact = tStar > 0 ? grid.map((v) => exactDensity(kind, v, tStar, opts)) : grid.map(() => NaN);
  let top = Math.max(...dens);
  for (const d of exact) if (Number.isFinite(d)) top = Math.max(top, d);
  if (!(top > 0)) top = 1;
  const { X, Y } = axes(histPlot, lo, hi, 0, top * 1.05, kind === 'arithmetic' ? 'x' : 's');
  const ctx = histPlot.ctx;
  ctx.fillStyle = T.series[0];
  ctx.globalAlpha = 0.55;
  for (let b = 0; b < bins; b++) ctx.fillRect(X(lo + b * width), Y(dens[b]), Math.max(1, X(lo + (b + 1) * width) - X(lo + b * width) - 1), Y(0) - Y(dens[b]));
  ctx.globalAlpha = 1;
  if (tStar > 0) {
    ctx.strokeStyle = T.series[1];
    ctx.lineWidth = 2;
    ctx.beginPath();
    grid.forEach((v, i) => (i ? ctx.lineTo(X(v), Y(exact[i])) : ctx.moveTo(X(v), Y(exact[i]))));
    ctx.stroke();
  }
  // sample mean/variance against the exact moments
  let m = 0;
  for (const v of vals) m += v;
  m /= paths;
  let s2 = 0;
  for (const v of vals) s2 += (v - m) ** 2;
  s2 /= Math.max(1, paths - 1);
  const mu = muS.get();
  const sg = sigmaS.get();
  const x0 = x0S.get();
  const exactMean = kind === 'arithmetic' ? x0 + mu * tStar : x0 * Math.exp(mu * tStar);
  const exactVar = kind === 'arithmetic' ? sg * sg * tStar : x0 * x0 * Math.exp(2 * mu * tStar) * (Math.exp(sg * sg * tStar) - 1);
  status.innerHTML = `${paths} paths × ${sim.steps} steps, seed ${sim.seed} · at t = <strong>${fmt(tStar, 3)}</strong>: sample mean <strong>${fmt(m)}</strong> (exact ${fmt(exactMean)}), sample variance <strong>${fmt(s2)}</strong> (exact ${fmt(exactVar)})${tStar === 0 ? ' · at t = 0 every path sits at the start: move the slider' : ''}`;
}

function drawQV() {
  const { t, qv, nq, S1, horizon } = sim;
  const sg = sigmaS.get();
  let top = sg * sg * horizon;
  for (let p = 0; p < nq; p++) top = Math.max(top, qv[p * S1 + S1 - 1]);
  const { X, Y } = axes(qvPlot, 0, horizon, 0, top * 1.05 || 1, 't');
  const ctx = qvPlot.ctx;
  const upto = Math.max(1, Math.round(reveal * (S1 - 1)));
  const stride = Math.max(1, Math.floor((S1 - 1) / 300));
  for (let p = 0; p < nq; p++) {
    ctx.strokeStyle = T.series[p % T.series.length];
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    ctx.moveTo(X(0), Y(0));
    for (let k = stride; k <= upto; k += stride) ctx.lineTo(X(t[k]), Y(qv[p * S1 + k]));
    ctx.stroke();
  }
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = T.fg;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(X(0), Y(0));
  ctx.lineTo(X(horizon), Y(sg * sg * horizon));
  ctx.stroke();
  ctx.setLineDash([]);
}

function save() {
  writeParams({ kind: kindSel.get(), mu: muS.get(), sigma: sigmaS.get(), x0: x0S.get(), paths: pathsS.get(),
    steps: stepsS.get(), T: horizonS.get(), t: tS.get(), seed: Number(seedIn.value) });
}

onTheme((t) => { T = t; draw(); });
new ResizeObserver(() => {
  const w = mountWidth(mount);
  if (Math.abs(panelWidth(w, 1) - pathsPlot.w) > 4 || Math.abs(panelWidth(w, 2) - histPlot.w) > 4) {
    resizeCanvas(pathsPlot, panelWidth(w, 1), 260);
    resizeCanvas(histPlot, panelWidth(w, 2), 200);
    resizeCanvas(qvPlot, panelWidth(w, 2), 200);
    draw();
  }
}).observe(mount);

simulate(true);
probe.ready = true;
probe.firstInteractiveMs = performance.now();

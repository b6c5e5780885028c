// Distribution-morphing lab: optimal transport between two point clouds, exact or entropic
// (log-domain Sinkhorn with an eps slider), and McCann's displacement interpolation beside the naive
// mixture. UI only; the numbers come from core.js (checked against mlatlas.transport by node --test).
import { LabRandom } from '../shared/rng.js';
import {
  button, el, fmt, frameTick, hexToRgb, injectStyle, labProbe, makeCanvas, mix, mountWidth, onTheme, panelWidth, pointerPos,
  readParams, resizeCanvas, rgb, select, slider, theme, writeParams,
} from '../shared/ui.js';
import { PAIRS, displacement, exactOT, preset, sinkhornLog, sqCost, uniform } from './core.js';

const MAX_POINTS = 200; // per cloud; more drawn points are refused with a note
const SINKHORN_ITERS_PER_FRAME = 25;
const SINKHORN_MAX_ITERS = 4000;
const SINKHORN_TOL = 1e-6;
const BOX = 1.25; // the view is [-BOX, BOX]^2

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('distribution-morphing');

const schema = {
  pair: { type: 'enum', values: [...Object.keys(PAIRS), 'draw'], default: 'moons' },
  n: { type: 'int', min: 3, max: 150, default: 40 },
  solver: { type: 'enum', values: ['exact', 'sinkhorn'], default: 'sinkhorn' },
  eps: { type: 'number', min: 1e-3, max: 2, default: 0.05 },
  t: { type: 'number', min: 0, max: 1, default: 0.5 },
  seed: { type: 'int', min: 0, max: 4294967295, default: 3 },
};
const { values: P, notes } = readParams(schema);
let T = theme();
let xs = new Float64Array(0);
let ys = new Float64Array(0);
let drawn = { source: [], target: [] };
let C = null;
let exact = null; // {plan, cost}
let sk = null; // Sinkhorn progress {alpha, beta, plan, cost, iterations, error, converged}
let playing = false;
let working = false;
let direction = 1;
let drawTarget = 'source';

const pairSel = select({ label: 'Clouds', value: P.pair, options: [['gaussians', 'Two Gaussians'], ['moons', 'Moons'],
  ['rings', 'Disc → ring'], ['draw', 'Draw your own']], onChange: () => regenerate() });
const nS = slider({ label: 'Points per cloud', min: 3, max: 150, step: 1, value: P.n, format: String, onInput: () => regenerate() });
const solverSel = select({ label: 'Plan', value: P.solver, options: [['exact', 'Exact OT (linear programme)'],
  ['sinkhorn', 'Sinkhorn (entropic, log domain)']], onChange: () => solve() });
const epsS = slider({ label: 'ε (entropic blur)', min: 1e-3, max: 2, step: 0.01, log: true, value: P.eps,
  format: (v) => fmt(v, 4), onInput: () => { if (solverSel.get() !== 'sinkhorn') solverSel.set('sinkhorn'); solve(); } });
const tS = slider({ label: 'Time t', min: 0, max: 1, step: 0.01, value: P.t, format: (v) => v.toFixed(2), onInput: () => { pause(); save(); draw(); } });
const drawSel = select({ label: 'Clicks add to', value: 'source', options: [['source', 'source (blue)'], ['target', 'target (orange)']],
  onChange: (v) => { drawTarget = v; } });
const playBtn = button('Play morph', () => (playing ? pause() : play()), { class: 'primary' });
const clearBtn = button('Clear drawing', () => { drawn = { source: [], target: [] }; regenerate(); });

const W = mountWidth(mount);
const half = (w) => panelWidth(w, 2); // two panels a row on a laptop, one (full width) on a phone
const planPlot = makeCanvas(half(W), half(W), 'The two point clouds and the transport plan between them');
const morphPlot = makeCanvas(half(W), half(W), 'Displacement interpolation at time t');
const mixPlot = makeCanvas(half(W), Math.floor(half(W) * 0.55), 'Naive mixture at time t');
planPlot.canvas.tabIndex = 0;
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [pairSel.root, nS.root, drawSel.root, solverSel.root, epsS.root, tS.root,
    el('div', { class: 'lab-field' }, [el('span', { class: 'lab-name', text: 'Controls' }), el('div', { class: 'lab-row' }, [playBtn, clearBtn])])]),
  status, note, // the readouts sit right under the controls that move them (on a phone too)
  el('div', { class: 'lab-row' }, [
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Plan: a line per pair, darker = more mass' }), planPlot.canvas]),
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'McCann interpolation: mass slides along the plan' }), morphPlot.canvas,
      el('p', { class: 'lab-caption', text: 'Naive mixture (1 − t)μ + tν: mass fades, never moves' }), mixPlot.canvas]),
  ]),
]));

function regenerate() {
  const pair = pairSel.get();
  drawSel.root.style.display = pair === 'draw' ? '' : 'none';
  clearBtn.style.display = pair === 'draw' ? '' : 'none';
  if (pair === 'draw') {
    xs = Float64Array.from(drawn.source);
    ys = Float64Array.from(drawn.target);
  } else {
    const rng = new LabRandom(P.seed);
    const [a, b] = PAIRS[pair];
    xs = preset(a, nS.get(), rng);
    ys = preset(b, nS.get(), rng);
  }
  solve();
}

function solve() {
  exact = null;
  sk = null;
  save();
  const n = xs.length / 2;
  const m = ys.length / 2;
  if (n === 0 || m === 0) {
    C = null;
    status.textContent = 'Click the left panel to draw points: at least one in each cloud (switch the “Clicks add to” menu).';
    draw();
    return;
  }
  C = sqCost(xs, ys);
  exact = exactOT(uniform(n), uniform(m), C); // the exact W2 is always shown as the reference
  if (solverSel.get() === 'sinkhorn') {
    sk = { alpha: null, beta: null, plan: null, iterations: 0, converged: false };
    if (!working) {
      working = true;
      requestAnimationFrame(iterate);
    }
  }
  draw();
}

function iterate(ts) {
  if (!sk || sk.converged || sk.iterations >= SINKHORN_MAX_ITERS) {
    working = false;
    if (!playing) probe.animating = false;
    return;
  }
  probe.animating = true;
  frameTick(probe, ts);
  const n = xs.length / 2;
  const m = ys.length / 2;
  const res = sinkhornLog(uniform(n), uniform(m), C, epsS.get(), {
    maxIter: SINKHORN_ITERS_PER_FRAME, tol: SINKHORN_TOL, alpha: sk.alpha ?? undefined, beta: sk.beta ?? undefined,
  });
  sk = { ...res, iterations: sk.iterations + res.iterations };
  if (!playing) draw();
  requestAnimationFrame(iterate);
}

function currentPlan() {
  if (solverSel.get() === 'sinkhorn') return sk && sk.plan ? sk.plan : null;
  return exact ? exact.plan : null;
}

const toPx = (c, x, y) => [((x + BOX) / (2 * BOX)) * c.w, ((BOX - y) / (2 * BOX)) * c.h];

function dots(c, pts, color, alpha = 1, r = 2.6, masses = null, total = 1) {
  const ctx = c.ctx;
  ctx.fillStyle = color;
  ctx.globalAlpha = alpha;
  ctx.beginPath(); // one path for the whole cloud
  const k = pts.length / 2;
  for (let i = 0; i < k; i++) {
    const [px, py] = toPx(c, pts[2 * i], pts[2 * i + 1]);
    const rr = masses ? Math.max(0.8, r * Math.sqrt((masses[i] * k) / total)) : r;
    ctx.moveTo(px + rr, py);
    ctx.arc(px, py, rr, 0, 2 * Math.PI);
  }
  ctx.fill();
  ctx.globalAlpha = 1;
}

function frame(c) {
  c.ctx.clearRect(0, 0, c.w, c.h);
  c.ctx.strokeStyle = T.border;
  c.ctx.strokeRect(0.5, 0.5, c.w - 1, c.h - 1);
}

function draw() {
  const blue = T.series[0];
  const orange = T.series[1];
  const t = tS.get();
  frame(planPlot);
  frame(morphPlot);
  frame(mixPlot);
  const plan = currentPlan();
  const n = xs.length / 2;
  const m = ys.length / 2;
  if (plan) {
    let pMax = 0;
    for (const p of plan) pMax = Math.max(pMax, p);
    const ctx = planPlot.ctx;
    ctx.strokeStyle = T.fg;
    ctx.lineWidth = 1;
    const LEVELS = 8; // lines bucketed by mass into 8 opacities: one stroke per bucket, not per line
    const buckets = Array.from({ length: LEVELS }, () => []);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const w = plan[i * m + j] / pMax;
        if (w < 0.02) continue; // invisible anyway
        buckets[Math.min(LEVELS - 1, Math.floor(w * LEVELS))].push(i, j);
      }
    }
    buckets.forEach((pairs, b) => {
      if (!pairs.length) return;
      ctx.globalAlpha = (0.6 * (b + 1)) / LEVELS;
      ctx.beginPath();
      for (let k = 0; k < pairs.length; k += 2) {
        const i = pairs[k];
        const j = pairs[k + 1];
        const [x1, y1] = toPx(planPlot, xs[2 * i], xs[2 * i + 1]);
        const [x2, y2] = toPx(planPlot, ys[2 * j], ys[2 * j + 1]);
        ctx.moveTo(x1, y1);
        ctx.lineTo(x2, y2);
      }
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    const d = displacement(xs, ys, plan, t, 1e-3);
    let total = 0;
    for (const v of d.mass) total += v;
    dots(morphPlot, d.points, rgb(mix(hexToRgb(blue), hexToRgb(orange), t)), 0.9, 2.4, d.mass, total); // colour slides too
  }
  dots(planPlot, xs, blue);
  dots(planPlot, ys, orange);
  // the naive mixture: both clouds at once, faded by their weights (drawn in a centred square)
  const ctx = mixPlot.ctx;
  ctx.save();
  ctx.translate(mixPlot.w / 2 - (mixPlot.h / 2), 0);
  const sq = { ctx, w: mixPlot.h, h: mixPlot.h };
  dots(sq, xs, blue, 1 - t);
  dots(sq, ys, orange, t);
  ctx.restore();
  // readouts (and a probe for tests: how spread out the plan is)
  let support = 0;
  if (plan) {
    let pMax = 0;
    for (const p of plan) pMax = Math.max(pMax, p);
    for (const p of plan) support += p > 1e-3 * pMax ? 1 : 0;
  }
  probe.metrics = { n, m, exactCost: exact ? exact.cost : null, sinkhornCost: sk && sk.plan ? sk.cost : null,
    iterations: sk ? sk.iterations : 0, converged: sk ? sk.converged : null, support, t,
    finite: plan ? plan.every(Number.isFinite) : null };
  let text = '';
  if (exact) text += `Exact W₂² = ⟨P, C⟩ = <strong>${fmt(exact.cost, 4)}</strong> (W₂ = ${fmt(Math.sqrt(exact.cost), 4)})`;
  if (solverSel.get() === 'sinkhorn' && sk && sk.plan) {
    text += ` · Sinkhorn ε = ${fmt(epsS.get(), 4)}: transport cost <strong>${fmt(sk.cost, 4)}</strong>, ${sk.iterations} iterations, marginal error ${fmt(sk.error, 2)}${sk.converged ? ' (converged)' : sk.iterations >= SINKHORN_MAX_ITERS ? ' — stopped: raise ε to converge faster' : ' …'}`;
  }
  if (text) status.innerHTML = `${text} · ${n} → ${m} points · t = ${t.toFixed(2)}`;
}

function loop(ts) {
  if (!playing) return;
  frameTick(probe, ts);
  let t = tS.get() + direction * 0.01;
  if (t >= 1) { t = 1; direction = -1; }
  if (t <= 0) { t = 0; direction = 1; }
  tS.set(t);
  draw();
  requestAnimationFrame(loop);
}

function play() {
  if (playing) return;
  playing = true;
  probe.animating = true;
  playBtn.textContent = 'Pause morph';
  requestAnimationFrame(loop);
}

function pause() {
  playing = false;
  if (!working) probe.animating = false;
  playBtn.textContent = 'Play morph';
  save();
}

function save() {
  writeParams({ pair: pairSel.get(), n: nS.get(), solver: solverSel.get(), eps: epsS.get(), t: tS.get(), seed: P.seed });
}

function addPoint(e) {
  const [px, py] = pointerPos(planPlot.canvas, e);
  if (pairSel.get() !== 'draw') {
    pairSel.set('draw');
    drawn = { source: Array.from(xs), target: Array.from(ys) }; // start from the current clouds
  }
  const which = e.shiftKey ? (drawTarget === 'source' ? 'target' : 'source') : drawTarget;
  if (drawn[which].length / 2 >= MAX_POINTS) {
    note.textContent = `The ${which} cloud has ${MAX_POINTS} points, the most the lab transports; clear the drawing to start again.`;
    return;
  }
  drawn[which].push(-BOX + (px / planPlot.w) * 2 * BOX, BOX - (py / planPlot.h) * 2 * BOX);
  regenerate();
}

planPlot.canvas.addEventListener('pointerdown', addPoint);
planPlot.canvas.addEventListener('keydown', (e) => {
  if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); playing ? pause() : play(); }
});
onTheme((t) => { T = t; draw(); });
new ResizeObserver(() => {
  const w = mountWidth(mount);
  if (Math.abs(half(w) - planPlot.w) > 4) {
    resizeCanvas(planPlot, half(w), half(w));
    resizeCanvas(morphPlot, half(w), half(w));
    resizeCanvas(mixPlot, half(w), Math.floor(half(w) * 0.55));
    draw();
  }
}).observe(mount);

regenerate();
probe.ready = true;
probe.firstInteractiveMs = performance.now();

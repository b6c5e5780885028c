// Gradient-descent lab: race five optimisers on a 2-D loss surface. UI only; the numbers come
// from core.js (checked against mlatlas.foundations.optimizers by node --test).
import {
  button, checkbox, el, fmt, frameTick, hexToRgb, injectStyle, labProbe, makeCanvas, mix, mountWidth,
  onTheme, panelWidth, pointerPos, readParams, resizeCanvas, rgb, select, slider, theme, writeParams,
} from '../shared/ui.js';
import { OPTIMIZERS, SURFACES, initState, step } from './core.js';

const NAMES = { sgd: 'SGD', momentum: 'Momentum', nesterov: 'Nesterov', rmsprop: 'RMSProp', adam: 'Adam' };
const MAX_STEPS = 5000;
const LIMIT = 1e6; // an iterate this far out has diverged

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('gradient-descent');

const schema = {
  s: { type: 'enum', values: Object.keys(SURFACES), default: 'rosenbrock' },
  lr: { type: 'number', min: 1e-5, max: 1, default: NaN },
  alr: { type: 'number', min: 1e-4, max: 1, default: 0.05 },
  mu: { type: 'number', min: 0, max: 0.99, default: 0.8 },
  x: { type: 'number', min: -1e3, max: 1e3, default: NaN },
  y: { type: 'number', min: -1e3, max: 1e3, default: NaN },
  speed: { type: 'int', min: 1, max: 50, default: 2 },
};
const { values: P, notes } = readParams(schema);
let surf = SURFACES[P.s];
let start = Number.isFinite(P.x) && Number.isFinite(P.y) ? [P.x, P.y] : surf.start.slice();
const enabled = Object.fromEntries(OPTIMIZERS.map((o) => [o, true]));

let T = theme();
let runners = [];
let steps = 0;
let running = false;
let background = null;

// ---------------------------------------------------------------- controls
const surfaceSel = select({
  label: 'Surface', value: P.s, options: Object.entries(SURFACES).map(([k, s]) => [k, s.label]),
  onChange: (v) => { surf = SURFACES[v]; start = surf.start.slice(); lrS.set(surf.lr); background = null; reset(); },
});
const lrS = slider({ label: 'Learning rate (SGD, momentum)', min: 1e-5, max: 1, step: 0.01, log: true,
  value: Number.isFinite(P.lr) ? P.lr : surf.lr, format: (v) => fmt(v, 4), onInput: () => reset() });
const lrA = slider({ label: 'Learning rate (RMSProp, Adam)', min: 1e-4, max: 1, step: 0.01, log: true,
  value: P.alr, format: (v) => fmt(v, 4), onInput: () => reset() });
const muS = slider({ label: 'Momentum μ', min: 0, max: 0.99, step: 0.01, value: P.mu, format: (v) => v.toFixed(2),
  onInput: () => reset() });
const speedS = slider({ label: 'Steps per frame', min: 1, max: 50, step: 1, value: P.speed, format: String,
  onInput: () => save() });
const runBtn = button('Run', () => (running ? pause() : play()), { class: 'primary' });
const stepBtn = button('Step', () => { pause(); advance(1); draw(); });
const resetBtn = button('Reset', () => { reset(); });
const checks = OPTIMIZERS.map((o, k) => {
  const cb = checkbox({ label: NAMES[o], checked: true, onChange: (v) => { enabled[o] = v; reset(); } });
  cb.root.style.setProperty('--c', T.series[k]);
  return cb.root;
});

const w0 = panelWidth(mountWidth(mount), 1); // the canvas fills its panel (no squeezing by max-width)
const plot = makeCanvas(w0, Math.round(w0 * 0.72), 'Contour map of the loss surface with optimiser trails');
plot.canvas.tabIndex = 0;
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });
const readout = el('div', { class: 'lab-legend' });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [surfaceSel.root, lrS.root, lrA.root, muS.root, speedS.root,
    el('div', { class: 'lab-field' }, [el('span', { class: 'lab-name', text: 'Controls' }),
      el('div', { class: 'lab-row' }, [runBtn, stepBtn, resetBtn])])]),
  el('div', { class: 'lab-row' }, checks),
  status, readout, note, // the readouts sit right under the controls that move them (on a phone too)
  el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption',
    text: 'Click (or press Enter for the default) to place a start point; arrow keys nudge it.' }), plot.canvas]),
]));

// ---------------------------------------------------------------- geometry
const toPx = ([x, y]) => [
  ((x - surf.xlim[0]) / (surf.xlim[1] - surf.xlim[0])) * plot.w,
  (1 - (y - surf.ylim[0]) / (surf.ylim[1] - surf.ylim[0])) * plot.h,
];
const toXY = ([px, py]) => [
  surf.xlim[0] + (px / plot.w) * (surf.xlim[1] - surf.xlim[0]),
  surf.ylim[0] + (1 - py / plot.h) * (surf.ylim[1] - surf.ylim[0]),
];

function renderBackground() {
  // filled contour bands of log(1 + f - f_min), drawn once per surface/theme/size at half resolution
  const W = Math.ceil(plot.w / 2);
  const H = Math.ceil(plot.h / 2);
  const vals = new Float64Array(W * H);
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const [x, y] = toXY([(i + 0.5) * 2, (j + 0.5) * 2]);
      const f = surf.f(x, y);
      vals[j * W + i] = f;
      if (f < lo) lo = f;
      if (f > hi) hi = f;
    }
  }
  const scale = Math.log1p(hi - lo);
  const levels = 16;
  const off = document.createElement('canvas');
  off.width = W;
  off.height = H;
  const ctx = off.getContext('2d');
  const img = ctx.createImageData(W, H);
  const band = new Int16Array(W * H);
  for (let k = 0; k < W * H; k++) band[k] = Math.min(levels - 1, Math.floor((Math.log1p(vals[k] - lo) / scale) * levels));
  const low = T.rgb.accent;
  const high = T.rgb.surface;
  for (let k = 0; k < W * H; k++) {
    const b = band[k];
    const edge = (k % W < W - 1 && band[k + 1] !== b) || (k + W < W * H && band[k + W] !== b);
    let c = mix(mix(low, T.rgb.bg, 0.45), high, b / (levels - 1));
    if (edge) c = mix(c, T.rgb.muted, 0.55);
    img.data.set([c[0], c[1], c[2], 255], 4 * k);
  }
  ctx.putImageData(img, 0, 0);
  background = off;
}

// ---------------------------------------------------------------- simulation
function reset() {
  pause();
  steps = 0;
  runners = OPTIMIZERS.map((name, k) => ({
    name, color: T.series[k], on: enabled[name], x: start.slice(), state: initState(),
    trail: [start.slice()], loss: surf.f(start[0], start[1]), diverged: false,
  }));
  save();
  draw();
}

function hyper(name) {
  const adaptive = name === 'rmsprop' || name === 'adam';
  return { lr: adaptive ? lrA.get() : lrS.get(), momentum: muS.get() };
}

function advance(n) {
  for (let s = 0; s < n && steps < MAX_STEPS; s++) {
    for (const r of runners) {
      if (!r.on || r.diverged) continue;
      const g = surf.grad(r.x[0], r.x[1]);
      const out = step(r.name, r.x, g, r.state, hyper(r.name));
      r.x = out.x;
      r.loss = surf.f(r.x[0], r.x[1]);
      if (!Number.isFinite(r.loss) || Math.abs(r.x[0]) > LIMIT || Math.abs(r.x[1]) > LIMIT) r.diverged = true;
      else r.trail.push(r.x.slice());
    }
    steps++;
  }
  if (steps >= MAX_STEPS) pause();
}

function draw() {
  if (!background) renderBackground();
  probe.metrics = { steps, start: start.slice(), runners: runners.map((r) => ({ name: r.name, on: r.on,
    loss: r.loss, diverged: r.diverged, trail: r.trail.length })) };
  const ctx = plot.ctx;
  ctx.clearRect(0, 0, plot.w, plot.h);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(background, 0, 0, plot.w, plot.h);
  ctx.fillStyle = T.fg;
  for (const m of surf.minima) { // global minima as small stars
    const [px, py] = toPx(m);
    ctx.font = '14px sans-serif';
    ctx.fillText('★', px - 5, py + 5);
  }
  for (const r of runners) {
    if (!r.on) continue;
    ctx.strokeStyle = r.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    const stride = Math.max(1, Math.floor(r.trail.length / 1500)); // cap the segments drawn per frame
    for (let k = 0; k < r.trail.length; k += stride) {
      const [px, py] = toPx(r.trail[k]);
      if (k === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    const [lx, ly] = toPx(r.trail[r.trail.length - 1]);
    ctx.lineTo(lx, ly);
    ctx.stroke();
    ctx.fillStyle = r.color;
    ctx.beginPath();
    ctx.arc(lx, ly, 4, 0, 2 * Math.PI);
    ctx.fill();
  }
  const [sx, sy] = toPx(start);
  ctx.strokeStyle = T.fg;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
  ctx.stroke();
  status.innerHTML = `Step <strong>${steps}</strong> · start (${fmt(start[0], 2)}, ${fmt(start[1], 2)}) · f(start) = ${fmt(surf.f(start[0], start[1]))}`;
  readout.replaceChildren(...runners.filter((r) => r.on).map((r) => {
    const s = el('span', { text: `${NAMES[r.name]}: ${r.diverged ? 'diverged — lower its learning rate' : `f = ${fmt(r.loss, 4)}`}` });
    s.style.setProperty('--c', r.color);
    return s;
  }));
}

function loop(ts) {
  if (!running) return;
  frameTick(probe, ts);
  advance(speedS.get());
  draw();
  requestAnimationFrame(loop);
}

function play() {
  if (running) return;
  if (steps >= MAX_STEPS) reset();
  running = true;
  probe.animating = true;
  runBtn.textContent = 'Pause';
  requestAnimationFrame(loop);
}

function pause() {
  running = false;
  probe.animating = false;
  runBtn.textContent = 'Run';
}

function save() {
  writeParams({ s: surfaceSel.get(), lr: lrS.get(), alr: lrA.get(), mu: muS.get(), x: +start[0].toFixed(4),
    y: +start[1].toFixed(4), speed: speedS.get() });
}

function placeStart(xy) {
  start = xy;
  reset();
  play();
}

plot.canvas.addEventListener('pointerdown', (e) => placeStart(toXY(pointerPos(plot.canvas, e))));
plot.canvas.addEventListener('keydown', (e) => {
  const dx = (surf.xlim[1] - surf.xlim[0]) / 50;
  const dy = (surf.ylim[1] - surf.ylim[0]) / 50;
  const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
  if (moves[e.key]) {
    e.preventDefault();
    start = [start[0] + moves[e.key][0], start[1] + moves[e.key][1]];
    reset();
  } else if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    placeStart(start);
  }
});

onTheme((t) => {
  T = t;
  background = null;
  checks.forEach((c, k) => c.style.setProperty('--c', T.series[k]));
  runners.forEach((r) => { r.color = T.series[OPTIMIZERS.indexOf(r.name)] ?? r.color; });
  draw();
});
new ResizeObserver(() => {
  const w = panelWidth(mountWidth(mount), 1);
  if (Math.abs(w - plot.w) > 4) {
    resizeCanvas(plot, w, Math.round(w * 0.72));
    background = null;
    draw();
  }
}).observe(mount);

reset();
probe.ready = true;
probe.firstInteractiveMs = performance.now();

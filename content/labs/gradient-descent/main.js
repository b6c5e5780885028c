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

const LEVELS = 16; // contour bands of log(1 + f - f_min)

/** Nice axis ticks (1, 2, 5 x 10^k) covering [a, b], about n of them. */
function ticks(a, b, n = 5) {
  const raw = (b - a) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const stepT = [1, 2, 5, 10].map((m) => m * p).find((m) => m >= raw) ?? 10 * p;
  const out = [];
  for (let v = Math.ceil(a / stepT) * stepT; v <= b + 1e-9 * stepT; v += stepT) out.push(Math.abs(v) < 1e-12 ? 0 : v);
  return out;
}

function renderBackground() {
  // filled bands at full resolution, then smooth contour lines by marching squares (interpolated,
  // antialiased strokes rather than pixel edges), drawn once per surface/theme/size
  const dpr = plot.canvas.width / plot.w;
  const W = plot.canvas.width;
  const H = plot.canvas.height;
  const G = 3; // contour grid spacing in CSS pixels
  const gw = Math.ceil(plot.w / G) + 1;
  const gh = Math.ceil(plot.h / G) + 1;
  const grid = new Float64Array(gw * gh);
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < gh; j++) {
    for (let i = 0; i < gw; i++) {
      const [x, y] = toXY([i * G, j * G]);
      const f = surf.f(x, y);
      grid[j * gw + i] = f;
      if (f < lo) lo = f;
      if (f > hi) hi = f;
    }
  }
  const scale = Math.log1p(hi - lo);
  const level = (f) => (Math.log1p(Math.max(0, f - lo)) / scale) * LEVELS; // continuous band index
  const off = document.createElement('canvas');
  off.width = W;
  off.height = H;
  const ctx = off.getContext('2d');
  const img = ctx.createImageData(W, H);
  const low = mix(T.rgb.accent, T.rgb.bg, 0.6); // light enough that every series colour keeps its contrast
  const high = T.rgb.bg;
  const colours = Array.from({ length: LEVELS }, (_, b) => mix(low, high, b / (LEVELS - 1)));
  for (let py = 0; py < H; py++) {
    for (let px = 0; px < W; px++) {
      const [x, y] = toXY([(px + 0.5) / dpr, (py + 0.5) / dpr]);
      const c = colours[Math.min(LEVELS - 1, Math.floor(level(surf.f(x, y))))];
      const k = 4 * (py * W + px);
      img.data[k] = c[0]; img.data[k + 1] = c[1]; img.data[k + 2] = c[2]; img.data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  // marching squares on the level field: one path for all contour lines
  const L = grid.map(level);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.strokeStyle = T.muted;
  ctx.globalAlpha = 0.55;
  ctx.lineWidth = 0.9;
  ctx.beginPath();
  for (let c = 1; c < LEVELS; c++) {
    for (let j = 0; j < gh - 1; j++) {
      for (let i = 0; i < gw - 1; i++) {
        const v = [L[j * gw + i], L[j * gw + i + 1], L[(j + 1) * gw + i + 1], L[(j + 1) * gw + i]];
        const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
        const cross = [];
        for (let e = 0; e < 4; e++) {
          const a = v[e];
          const b = v[(e + 1) % 4];
          if ((a < c) !== (b < c)) {
            const t = (c - a) / (b - a);
            const [x0, y0] = corners[e];
            const [x1, y1] = corners[(e + 1) % 4];
            cross.push([(x0 + t * (x1 - x0)) * G, (y0 + t * (y1 - y0)) * G]);
          }
        }
        for (let k = 0; k + 1 < cross.length; k += 2) {
          ctx.moveTo(cross[k][0], cross[k][1]);
          ctx.lineTo(cross[k + 1][0], cross[k + 1][1]);
        }
      }
    }
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  background = off;
}

/** Axis ticks and their values along the bottom and left edges, on a halo so they stay legible. */
function drawAxes(ctx) {
  ctx.font = '11px sans-serif';
  ctx.lineWidth = 3;
  ctx.strokeStyle = T.bg;
  ctx.fillStyle = T.fg;
  const label = (text, x, y, align) => {
    ctx.textAlign = align;
    ctx.strokeText(text, x, y);
    ctx.fillText(text, x, y);
  };
  const num = (v) => String(+v.toPrecision(3));
  ctx.textBaseline = 'bottom';
  for (const v of ticks(surf.xlim[0], surf.xlim[1])) {
    const [px] = toPx([v, surf.ylim[0]]);
    if (px < 12 || px > plot.w - 12) continue;
    ctx.fillRect(px - 0.5, plot.h - 5, 1, 5);
    label(num(v), px, plot.h - 6, 'center');
  }
  ctx.textBaseline = 'middle';
  for (const v of ticks(surf.ylim[0], surf.ylim[1])) {
    const [, py] = toPx([surf.xlim[0], v]);
    if (py < 10 || py > plot.h - 22) continue;
    ctx.fillRect(0, py - 0.5, 5, 1);
    label(num(v), 7, py, 'left');
  }
  label('x', plot.w - 6, plot.h - 14, 'right');
  ctx.textBaseline = 'top';
  label('y', 7, 4, 'left');
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
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
  drawAxes(ctx);
  ctx.fillStyle = T.fg;
  for (const m of surf.minima) { // global minima as small stars
    const [px, py] = toPx(m);
    ctx.font = '14px sans-serif';
    ctx.fillText('★', px - 5, py + 5);
  }
  for (const r of runners) {
    if (!r.on) continue;
    ctx.beginPath();
    const stride = Math.max(1, Math.floor(r.trail.length / 1500)); // cap the segments drawn per frame
    for (let k = 0; k < r.trail.length; k += stride) {
      const [px, py] = toPx(r.trail[k]);
      if (k === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    const [lx, ly] = toPx(r.trail[r.trail.length - 1]);
    ctx.lineTo(lx, ly);
    // a background-coloured halo under each trail: the series colour (>= 4.5:1 on the page background)
    // keeps that contrast wherever the trail crosses the contour bands
    ctx.lineJoin = 'round';
    ctx.strokeStyle = T.bg;
    ctx.lineWidth = 4.5;
    ctx.stroke();
    ctx.strokeStyle = r.color;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(lx, ly, 4, 0, 2 * Math.PI);
    ctx.fillStyle = r.color;
    ctx.fill();
    ctx.strokeStyle = T.bg;
    ctx.lineWidth = 1.5;
    ctx.stroke();
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

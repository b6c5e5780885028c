// Neural-network lab: train a small MLP on a 2-D dataset and watch the decision boundary form.
// UI only; forward, backprop and SGD come from core.js (checked against
// mlatlas.foundations.neural_networks by node --test).
import { LabRandom } from '../shared/rng.js';
import {
  button, el, fmt, frameTick, hexToRgb, injectStyle, labProbe, makeCanvas, mix, mountWidth, onTheme,
  NARROW, panelWidth, pointerPos, readParams, resizeCanvas, rgb, select, slider, theme, writeParams,
} from '../shared/ui.js';
import { ACTIVATIONS, evalLoss, forward, initMlp, lossAndGradients, makeDataset, sgdStep } from './core.js';

const DOMAIN = 1.3; // the plane shown is [-DOMAIN, DOMAIN]^2
const GRID = 40; // decision-boundary resolution (GRID x GRID forward passes per frame)
const THUMB = 64; // side of a neuron's thumbnail in CSS pixels (its GRID x GRID activations, scaled up)
const MAX_POINTS = 600; // custom points beyond this are refused (the note says so)
const N_POINTS = 200;

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('neural-network');

const schema = {
  ds: { type: 'enum', values: ['circle', 'xor', 'spiral', 'blobs', 'custom'], default: 'circle' },
  noise: { type: 'number', min: 0, max: 0.5, default: 0.08 },
  layers: { type: 'int', min: 0, max: 4, default: 2 },
  units: { type: 'int', min: 1, max: 8, default: 6 },
  act: { type: 'enum', values: ACTIVATIONS, default: 'tanh' },
  lr: { type: 'number', min: 1e-4, max: 3, default: 0.1 },
  l2: { type: 'number', min: 0, max: 0.1, default: 0 },
  batch: { type: 'int', min: 1, max: 500, default: 10 },
  seed: { type: 'int', min: 0, max: 4294967295, default: 1 },
};
const { values: P, notes } = readParams(schema);
let T = theme();
let params = null;
let data = null; // {xTrain, yTrain, xTest, yTest, nTrain, nTest}
let custom = { x: [], y: [] };
let epoch = 0;
let stepCount = 0;
let running = false;
let history = []; // [{step, train, test}]
let batchRng = new LabRandom(P.seed);
let order = [];
let cursor = 0;
let paintClass = 1;
let frameNo = 0;

// ---------------------------------------------------------------- controls
const dsSel = select({ label: 'Dataset', value: P.ds, options: [['circle', 'Circle'], ['xor', 'XOR'],
  ['spiral', 'Two spirals'], ['blobs', 'Gaussian blobs'], ['custom', 'Your points (click the plane)']],
onChange: () => { regenerate(); } });
const noiseS = slider({ label: 'Noise', min: 0, max: 0.5, step: 0.01, value: P.noise, format: (v) => v.toFixed(2),
  onInput: () => regenerate() });
const layersS = slider({ label: 'Hidden layers', min: 0, max: 4, step: 1, value: P.layers, format: String,
  onInput: () => rebuild() });
const unitsS = slider({ label: 'Units per layer', min: 1, max: 8, step: 1, value: P.units, format: String,
  onInput: () => rebuild() });
const actSel = select({ label: 'Activation', value: P.act, options: ACTIVATIONS.map((a) => [a, a]),
  onChange: () => rebuild() });
const lrS = slider({ label: 'Learning rate', min: 1e-4, max: 3, step: 0.01, log: true, value: P.lr,
  format: (v) => fmt(v, 4), onInput: () => save() });
const l2S = slider({ label: 'L2 (λ)', min: 0, max: 0.1, step: 0.001, value: P.l2, format: (v) => v.toFixed(3),
  onInput: () => save() });
const batchS = slider({ label: 'Batch size', min: 1, max: 100, step: 1, value: Math.min(P.batch, 100), format: String,
  onInput: () => save() });
const classSel = select({ label: 'Click adds class', value: '1', options: [['1', 'orange (1)'], ['0', 'blue (0)']],
  onChange: (v) => { paintClass = Number(v); } });
const runBtn = button('Train', () => (running ? pause() : play()), { class: 'primary' });
const stepBtn = button('Step', () => { pause(); trainSteps(1); draw(); });
const resetBtn = button('Reset weights', () => rebuild());
const clearBtn = button('Clear my points', () => { custom = { x: [], y: [] }; regenerate(); });

const W = mountWidth(mount);
// side by side on a laptop; on a phone both panels take the full column width, one above the other
const planeSide = (w) => (w < NARROW ? Math.min(panelWidth(w, 1), 420) : Math.round(Math.min(w * 0.55, 400)));
const lossWidth = (w) => (w < NARROW ? panelWidth(w, 1) : Math.max(200, w - planeSide(w) - 64));
const side = planeSide(W);
const plane = makeCanvas(side, side, 'Decision boundary: the network output over the plane, with the data points');
plane.canvas.tabIndex = 0;
const lossPlot = makeCanvas(lossWidth(W), 190, 'Training and test loss against steps');
const neurons = el('div', { class: 'lab-row', style: 'gap:.35rem' });
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
// the two loss curves: distinct colours (not the class colours of the plane) and distinct dashes
const LOSS_SERIES = { train: 4, test: 2 }; // indices into theme().series: purple, green (>= 4.5:1 in both themes)
const lossKey = (key) => el('span', { text: key === 'train' ? 'train loss (solid)' : 'test loss (dashed)' });
const lossLegendItems = { train: lossKey('train'), test: lossKey('test') };
const lossLegend = el('div', { class: 'lab-legend', style: 'margin:0 .2rem .3rem' }, [lossLegendItems.train, lossLegendItems.test]);
function paintLossLegend() {
  for (const key of ['train', 'test']) lossLegendItems[key].style.setProperty('--c', T.series[LOSS_SERIES[key]]);
}
paintLossLegend();
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [dsSel.root, noiseS.root, classSel.root, layersS.root, unitsS.root,
    actSel.root, lrS.root, l2S.root, batchS.root,
    el('div', { class: 'lab-field' }, [el('span', { class: 'lab-name', text: 'Controls' }),
      el('div', { class: 'lab-row' }, [runBtn, stepBtn, resetBtn, clearBtn])])]),
  status, note, // the readouts sit right under the controls that move them (on a phone too)
  el('div', { class: 'lab-row' }, [
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Decision boundary (test points hollow)' }), plane.canvas]),
    el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Loss against steps: train (solid purple) and test (dashed green)' }),
      lossLegend, lossPlot.canvas]),
  ]),
  el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: 'Every hidden neuron: its activation over the plane' }), neurons]),
]));

// ---------------------------------------------------------------- data and model
function regenerate() {
  pause();
  loadData();
  rebuild();
}

/** Build the train/test split of the chosen dataset (the weights are left alone). */
function loadData() {
  const rng = new LabRandom(P.seed);
  const name = dsSel.get();
  classSel.root.style.display = name === 'custom' ? '' : 'none';
  clearBtn.style.display = name === 'custom' ? '' : 'none';
  let all;
  if (name === 'custom') {
    all = { x: Float64Array.from(custom.x), y: Float64Array.from(custom.y) };
  } else {
    all = makeDataset(name, 2 * N_POINTS, rng, noiseS.get());
  }
  const n = all.y.length;
  // indices 0,1 of every 4 train, 2,3 test (custom points: all train, so every click counts)
  const train = [];
  const test = [];
  for (let i = 0; i < n; i++) (name === 'custom' || i % 4 < 2 ? train : test).push(i); // both classes in each half
  const pick = (idx) => ({ x: Float64Array.from(idx.flatMap((i) => [all.x[2 * i], all.x[2 * i + 1]])),
    y: Float64Array.from(idx.map((i) => all.y[i])) });
  const tr = pick(train);
  const te = pick(test);
  data = { xTrain: tr.x, yTrain: tr.y, nTrain: train.length, xTest: te.x, yTest: te.y, nTest: test.length };
  order = []; // the next batch starts a fresh pass over the (possibly grown) training set
  cursor = 0;
}

function sizes() {
  const hidden = Array(layersS.get()).fill(unitsS.get());
  return [2, ...hidden, 1];
}

function rebuild() {
  pause();
  params = initMlp(sizes(), new LabRandom(P.seed), actSel.get());
  batchRng = new LabRandom((P.seed + 1) >>> 0);
  order = [];
  cursor = 0;
  stepCount = 0;
  epoch = 0;
  history = [];
  record();
  save();
  renderNeuronPanels();
  draw();
}

function nextBatch(size) {
  // sample without replacement within an epoch: shuffle by sorting uniforms
  const n = data.nTrain;
  if (cursor >= order.length) {
    const u = batchRng.uniform(n);
    order = Array.from({ length: n }, (_, i) => i).sort((a, b) => u[a] - u[b]);
    cursor = 0;
    epoch++;
  }
  const idx = order.slice(cursor, cursor + size);
  cursor += size;
  const x = new Float64Array(2 * idx.length);
  const y = new Float64Array(idx.length);
  idx.forEach((i, k) => { x[2 * k] = data.xTrain[2 * i]; x[2 * k + 1] = data.xTrain[2 * i + 1]; y[k] = data.yTrain[i]; });
  return { x, y, B: idx.length };
}

function trainSteps(k, recordNow = true) {
  if (data.nTrain === 0) {
    note.textContent = 'No training points yet: pick a dataset, or click the plane to add points.';
    return;
  }
  for (let s = 0; s < k; s++) {
    const { x, y, B } = nextBatch(Math.min(batchS.get(), data.nTrain));
    const out = lossAndGradients(params, x, y, B, { activation: actSel.get(), l2: l2S.get() });
    if (!Number.isFinite(out.loss)) {
      pause();
      note.textContent = `Training diverged at step ${stepCount} (the loss overflowed). Lower the learning rate and press Reset weights.`;
      return;
    }
    sgdStep(params, out.grads, lrS.get());
    stepCount++;
  }
  if (recordNow) record();
}

function record() {
  const act = actSel.get();
  const train = data.nTrain ? evalLoss(params, data.xTrain, data.yTrain, data.nTrain, act) : NaN;
  const test = data.nTest ? evalLoss(params, data.xTest, data.yTest, data.nTest, act) : NaN;
  history.push({ step: stepCount, train, test });
  if (history.length > 400) history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
}

// ---------------------------------------------------------------- drawing
const gridX = new Float64Array(2 * GRID * GRID);
for (let j = 0; j < GRID; j++) {
  for (let i = 0; i < GRID; i++) {
    gridX[2 * (j * GRID + i)] = -DOMAIN + ((i + 0.5) / GRID) * 2 * DOMAIN;
    gridX[2 * (j * GRID + i) + 1] = DOMAIN - ((j + 0.5) / GRID) * 2 * DOMAIN;
  }
}
const off = document.createElement('canvas');
off.width = GRID;
off.height = GRID;
const offCtx = off.getContext('2d');
const offImg = offCtx.createImageData(GRID, GRID);
let thumbs = [];

function renderNeuronPanels() {
  thumbs = [];
  const cells = [];
  sizes().slice(1, -1).forEach((width, l) => {
    const col = el('div', { style: 'display:grid;gap:.25rem;justify-items:center;min-width:4.2rem' }, // 'layer 1' on one line
      [el('span', { class: 'lab-caption', text: `layer ${l + 1}` })]);
    for (let u = 0; u < width; u++) {
      const c = makeCanvas(THUMB, THUMB, `Layer ${l + 1}, neuron ${u + 1}: its activation over the plane`);
      thumbs.push({ l, u, c });
      col.append(c.canvas);
    }
    cells.push(col);
  });
  if (!cells.length) cells.push(el('span', { class: 'lab-status', text: 'No hidden layers: the model is logistic regression, so the boundary is a straight line.' }));
  neurons.replaceChildren(...cells);
}

let lut = null; // 256 colours from class 0 through the background to class 1, rebuilt per theme
let lutKey = '';

function heat(ctx, w, h, values, n, lo, hi, colLo, colHi, colMid) {
  const key = `${colLo}|${colMid}|${colHi}`;
  if (key !== lutKey) {
    lut = new Uint8ClampedArray(256 * 3);
    for (let q = 0; q < 256; q++) {
      const t = q / 255;
      const c = t < 0.5 ? mix(colLo, colMid, t * 2) : mix(colMid, colHi, (t - 0.5) * 2);
      lut.set(c, 3 * q);
    }
    lutKey = key;
  }
  const px = offImg.data;
  const scale = 255 / (hi - lo);
  for (let k = 0; k < n * n; k++) {
    const q = Math.max(0, Math.min(255, Math.round((values[k] - lo) * scale))) * 3;
    px[4 * k] = lut[q];
    px[4 * k + 1] = lut[q + 1];
    px[4 * k + 2] = lut[q + 2];
    px[4 * k + 3] = 255;
  }
  offCtx.putImageData(offImg, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, w, h);
}

function draw() {
  const act = actSel.get();
  const cache = forward(params, gridX, GRID * GRID, act);
  const logits = cache.acts[cache.acts.length - 1];
  const blue = hexToRgb(T.series[0]);
  const orange = hexToRgb(T.series[1]);
  const mid = T.rgb.bg;
  const soft = (c) => mix(c, mid, 0.35);
  // p = sigmoid(z): blue for class 0, orange for class 1
  const probs = logits.map((z) => 1 / (1 + Math.exp(-z)));
  heat(plane.ctx, plane.w, plane.h, probs, GRID, 0, 1, soft(blue), soft(orange), mid);
  const toPx = (x, y) => [((x + DOMAIN) / (2 * DOMAIN)) * plane.w, ((DOMAIN - y) / (2 * DOMAIN)) * plane.h];
  const ctx = plane.ctx;
  const drawPts = (xs, ys, n, hollow) => {
    for (const cls of [0, 1]) { // one path per class: a few canvas calls instead of one per point
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (ys[i] !== cls) continue;
        const [px, py] = toPx(xs[2 * i], xs[2 * i + 1]);
        ctx.moveTo(px + 3.2, py);
        ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
      }
      const colour = T.series[cls];
      if (hollow) { ctx.strokeStyle = colour; ctx.lineWidth = 1.2; ctx.stroke(); } else {
        ctx.fillStyle = colour; ctx.fill(); ctx.lineWidth = 0.8; ctx.strokeStyle = T.fg; ctx.stroke();
      }
    }
  };
  drawPts(data.xTest, data.yTest, data.nTest, true);
  drawPts(data.xTrain, data.yTrain, data.nTrain, false);
  // neuron thumbnails from the same forward pass: activation of unit u in hidden layer l
  for (const { l, u, c } of thumbs) {
    const a = cache.acts[l + 1];
    const width = params[l].fout;
    const vals = new Float64Array(GRID * GRID);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < GRID * GRID; k++) {
      vals[k] = a[k * width + u];
      lo = Math.min(lo, vals[k]);
      hi = Math.max(hi, vals[k]);
    }
    if (!(hi > lo)) hi = lo + 1;
    heat(c.ctx, c.w, c.h, vals, GRID, lo, hi, soft(blue), soft(orange), mid);
  }
  drawLoss();
  const last = history[history.length - 1];
  const acc = accuracy();
  probe.metrics = { step: stepCount, train: last.train, test: last.test, accuracy: acc, nTrain: data.nTrain,
    nTest: data.nTest, firstTrain: history[0].train };
  status.innerHTML = `Step <strong>${stepCount}</strong> · epoch ${epoch} · train loss <strong>${fmt(last.train)}</strong> · test loss <strong>${fmt(last.test)}</strong> · test accuracy ${Number.isFinite(acc) ? `${(100 * acc).toFixed(1)}%` : '—'} · ${data.nTrain} train / ${data.nTest} test points`;
}

function accuracy() {
  if (!data.nTest) return NaN;
  const logits = forward(params, data.xTest, data.nTest, actSel.get()).acts.at(-1);
  let hit = 0;
  for (let i = 0; i < data.nTest; i++) hit += (logits[i] > 0 ? 1 : 0) === data.yTest[i] ? 1 : 0;
  return hit / data.nTest;
}

function drawLoss() {
  const { ctx, w, h } = lossPlot;
  ctx.clearRect(0, 0, w, h);
  const pts = history.filter((p) => Number.isFinite(p.train));
  if (!pts.length) return;
  const maxStep = Math.max(1, pts[pts.length - 1].step);
  let hi = 0;
  for (const p of pts) hi = Math.max(hi, p.train, Number.isFinite(p.test) ? p.test : 0);
  hi = Math.max(hi, 0.1);
  const X = (s) => 30 + (s / maxStep) * (w - 40);
  const Y = (v) => h - 18 - (v / hi) * (h - 30);
  ctx.strokeStyle = T.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(30, 8); ctx.lineTo(30, h - 18); ctx.lineTo(w - 8, h - 18);
  ctx.stroke();
  ctx.fillStyle = T.muted;
  ctx.font = '11px sans-serif';
  ctx.fillText(fmt(hi, 2), 2, 14);
  ctx.fillText('0', 18, h - 18);
  ctx.fillText(`step ${maxStep}`, w - 70, h - 4);
  for (const [key, dash] of [['train', []], ['test', [5, 4]]]) {
    ctx.setLineDash(dash);
    ctx.strokeStyle = T.series[LOSS_SERIES[key]];
    ctx.lineWidth = 1.8;
    ctx.beginPath();
    let first = true;
    for (const p of pts) {
      if (!Number.isFinite(p[key])) continue;
      if (first) { ctx.moveTo(X(p.step), Y(p[key])); first = false; } else ctx.lineTo(X(p.step), Y(p[key]));
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

// ---------------------------------------------------------------- loop and events
function loop(ts) {
  if (!running) return;
  frameTick(probe, ts);
  frameNo++;
  // roughly constant work per frame; the full train/test losses are measured every third frame
  trainSteps(Math.max(1, Math.round(20 / Math.sqrt(batchS.get()))), frameNo % 3 === 0);
  draw();
  if (running) requestAnimationFrame(loop);
}

function play() {
  if (running) return;
  running = true;
  probe.animating = true;
  runBtn.textContent = 'Pause';
  note.textContent = notes.join('; ');
  requestAnimationFrame(loop);
}

function pause() {
  if (running) record();
  running = false;
  probe.animating = false;
  runBtn.textContent = 'Train';
}

function save() {
  P.seed = P.seed >>> 0;
  writeParams({ ds: dsSel.get(), noise: noiseS.get(), layers: layersS.get(), units: unitsS.get(), act: actSel.get(),
    lr: lrS.get(), l2: l2S.get(), batch: batchS.get(), seed: P.seed });
}

function addPoint(x, y) {
  if (dsSel.get() !== 'custom') {
    // a click never swaps the dataset behind the reader's back: it says how to draw instead
    note.textContent = 'Clicking adds points only to “Your points”: choose it in the Dataset menu to draw your own data (the current dataset and its training are kept until you do).';
    return;
  }
  if (custom.y.length >= MAX_POINTS) {
    note.textContent = `That is ${MAX_POINTS} points already — the lab keeps at most ${MAX_POINTS}. Clear some to add more.`;
    return;
  }
  custom.x.push(x, y);
  custom.y.push(paintClass);
  // the new point joins the training set; the weights and the loss history carry on from where they were
  loadData();
  if (stepCount === 0) history = [];
  record();
  draw();
}

plane.canvas.addEventListener('pointerdown', (e) => {
  const [px, py] = pointerPos(plane.canvas, e);
  const cls = e.shiftKey ? 1 - paintClass : paintClass;
  const prev = paintClass;
  paintClass = cls;
  addPoint(-DOMAIN + (px / plane.w) * 2 * DOMAIN, DOMAIN - (py / plane.h) * 2 * DOMAIN);
  paintClass = prev;
});
plane.canvas.addEventListener('keydown', (e) => {
  if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); running ? pause() : play(); }
});

onTheme((t) => { T = t; paintLossLegend(); draw(); });
new ResizeObserver(() => {
  const w = mountWidth(mount);
  const s = planeSide(w);
  if (Math.abs(s - plane.w) > 4 || Math.abs(lossWidth(w) - lossPlot.w) > 4) {
    resizeCanvas(plane, s, s);
    resizeCanvas(lossPlot, lossWidth(w), 190);
    draw();
  }
}).observe(mount);

regenerate();
probe.ready = true;
probe.firstInteractiveMs = performance.now();

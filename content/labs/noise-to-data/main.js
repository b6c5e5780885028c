// Noise-to-data lab: the same seeded noise carried to a 2-D target by a flow-matching velocity field
// (Euler steps) and by DDPM ancestral sampling, side by side. UI only; the numbers come from core.js
// (checked against mlatlas.labs.noise_to_data by node --test), the weights from model.json + <target>.bin
// (exported by `python -m mlatlas.labs.noise_to_data --export`).
import {
  button, checkbox, el, fmt, frameTick, injectStyle, labProbe, makeCanvas, mountWidth, onTheme, panelWidth,
  readParams, resizeCanvas, rgb, select, slider, theme, writeParams,
} from '../shared/ui.js';
import {
  ddpmSampler, energyDistance, flowSampler, linearSchedule, loadTarget, nearestDistance, straightness,
} from './core.js';

const STEPS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200];
const DURATION_MS = 2500; // a run plays in this time, however many steps it has (if the maths keeps up)
const BUDGET_MS = 5; // network work per animation frame, so the page keeps its frame rate
const CHUNK = 50; // particles per piece of work (a fraction of a millisecond)
const TRAILS = 30; // particles whose path is drawn
const BOX = 3; // the view is [-BOX, BOX]^2: noise and every target fit
const TARGET_NAMES = { moons: 'Two moons', rings: 'Two rings', word: 'Letters “ML”' };

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('noise-to-data');
const base = new URL('./', import.meta.url);

const schema = {
  target: { type: 'enum', values: Object.keys(TARGET_NAMES), default: 'moons' },
  steps: { type: 'int', min: 1, max: 200, default: 20 },
  n: { type: 'int', min: 50, max: 1000, default: 500 },
  ot: { type: 'bool', default: false },
  seed: { type: 'int', min: 0, max: 4294967295, default: 1 },
};
const { values: P, notes } = readParams(schema);
const snap = (s) => STEPS.reduce((best, v) => (Math.abs(v - s) < Math.abs(best - s) ? v : best), STEPS[0]);
if (snap(P.steps) !== P.steps) {
  notes.push(`steps=${P.steps} is not on the slider; using ${snap(P.steps)}`);
  P.steps = snap(P.steps);
}

let T = theme();
let meta = null;
let schedule = null;
const cache = {}; // target -> {nets, reference}
let data = null; // the current target's {nets, reference}
let run = null; // {flow, ddpm, flowFrames, ddpmFrames, progress, ...}
let playing = false;
let lastTs = null;
let seed = P.seed;

const targetSel = select({ label: 'Target', value: P.target, options: Object.entries(TARGET_NAMES),
  onChange: () => changeTarget() });
const stepsS = slider({ label: 'Steps (network calls per sampler)', min: 0, max: STEPS.length - 1, step: 1,
  value: STEPS.indexOf(P.steps), format: (i) => String(STEPS[i]), onInput: () => restart(false) });
const pointsS = slider({ label: 'Particles', min: 50, max: 1000, step: 50, value: P.n, format: String,
  onInput: () => restart(false) });
const otBox = checkbox({ label: 'OT coupling (flow trained on minibatch-OT pairs)', checked: P.ot,
  onChange: () => restart(false) });
const playBtn = button('Play', () => (playing ? pause() : play()), { class: 'primary' });
const noiseBtn = button('New noise', () => { seed = (seed + 1) >>> 0; restart(true); });

const W = mountWidth(mount);
const side = (w) => panelWidth(w, 2);
const flowPlot = makeCanvas(side(W), side(W), 'Particles under the flow-matching velocity field (Euler steps)');
const ddpmPlot = makeCanvas(side(W), side(W), 'Particles under DDPM ancestral sampling');
flowPlot.canvas.tabIndex = 0;
ddpmPlot.canvas.tabIndex = 0;
const flowCaption = el('p', { class: 'lab-caption' });
const ddpmCaption = el('p', { class: 'lab-caption', text: 'DDPM: ancestral steps (ε-network, respaced 1000-step schedule)' });
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [targetSel.root, stepsS.root, pointsS.root,
    el('div', { class: 'lab-field lab-wide' }, [el('span', { class: 'lab-name', text: 'Coupling' }), otBox.root]),
    el('div', { class: 'lab-field' }, [el('span', { class: 'lab-name', text: 'Run' }), el('div', { class: 'lab-row' }, [playBtn, noiseBtn])])]),
  status, note,
  el('div', { class: 'lab-row' }, [
    el('div', { class: 'lab-panel' }, [flowCaption, flowPlot.canvas]),
    el('div', { class: 'lab-panel' }, [ddpmCaption, ddpmPlot.canvas]),
  ]),
]));

const steps = () => STEPS[stepsS.get()];
const flowKind = () => (otBox.input.checked ? 'ot_flow' : 'flow');

async function fetchTarget(target) {
  if (!cache[target]) {
    const res = await fetch(new URL(meta.targets[target].file, base));
    if (!res.ok) throw new Error(`could not load ${target} weights (${res.status})`);
    cache[target] = loadTarget(meta, target, await res.arrayBuffer());
  }
  return cache[target];
}

async function changeTarget() {
  pause();
  status.textContent = `Loading the ${TARGET_NAMES[targetSel.get()]} networks …`;
  data = await fetchTarget(targetSel.get());
  restart(false);
}

/** New samplers from the current settings; the particles sit at the noise until Play. */
function restart(autoplay) {
  if (!data) return;
  const opts = { steps: steps(), points: pointsS.get(), seed };
  const flow = flowSampler(data.nets[flowKind()], opts);
  const ddpm = ddpmSampler(data.nets.ddpm, schedule, opts);
  run = { flow, ddpm, flowFrames: [Float64Array.from(flow.x)], ddpmFrames: [Float64Array.from(ddpm.x)],
    progress: 0, noiseEnergy: null, flowEnergy: null, ddpmEnergy: null, flowStraightness: null };
  save();
  if (autoplay) play(); else { pause(); draw(); }
}

/** Advance both samplers (the one behind first), CHUNK particles at a time, for at most BUDGET_MS. */
function compute() {
  const t0 = performance.now();
  while (!(run.flow.done && run.ddpm.done) && performance.now() - t0 < BUDGET_MS) {
    if (!run.flow.done && (run.flow.k <= run.ddpm.k || run.ddpm.done)) {
      if (run.flow.advance(CHUNK)) run.flowFrames.push(Float64Array.from(run.flow.x));
    } else if (run.ddpm.advance(CHUNK)) {
      run.ddpmFrames.push(Float64Array.from(run.ddpm.x));
    }
  }
}

function finish() {
  const ref = data.reference;
  run.noiseEnergy = energyDistance(run.flowFrames[0], ref);
  run.flowEnergy = energyDistance(run.flow.x, ref);
  run.ddpmEnergy = energyDistance(run.ddpm.x, ref);
  run.flowStraightness = straightness(run.flowFrames);
  run.nearest = [run.flowFrames[0], run.flow.x, run.ddpm.x].map((x) => nearestDistance(x, ref));
}

function loop(ts) {
  if (!playing) return;
  frameTick(probe, ts);
  const dt = lastTs === null ? 16 : Math.min(100, ts - lastTs);
  lastTs = ts;
  compute();
  const S = steps();
  // playback never runs ahead of what both samplers have computed
  const ready = Math.min(run.flowFrames.length - 1, run.ddpmFrames.length - 1) / S;
  run.waiting = run.progress + dt / DURATION_MS > ready; // the samplers are behind the playback
  run.progress = Math.min(ready, run.progress + dt / DURATION_MS);
  if (run.progress >= 1 && run.flow.done && run.ddpm.done) {
    run.progress = 1;
    finish();
    pause();
    draw();
    return;
  }
  draw();
  requestAnimationFrame(loop);
}

function play() {
  if (!run) return;
  if (run.progress >= 1) { run.progress = 0; run.flowEnergy = null; } // replay (frames are kept)
  probe.animating = true;
  playBtn.textContent = 'Pause';
  if (playing) return; // the running loop picks up the new run: never two loops at once
  playing = true;
  lastTs = null;
  requestAnimationFrame(loop);
}

function pause() {
  playing = false;
  probe.animating = false;
  playBtn.textContent = run && run.progress >= 1 ? 'Replay' : 'Play';
}

// ------------------------------------------------------------------ drawing

const toPx = (c, x, y) => [((x + BOX) / (2 * BOX)) * c.w, ((BOX - y) / (2 * BOX)) * c.h];

/** Positions at fractional frame f (linear between computed frames). */
function positionsAt(frames, f, out) {
  const k = Math.min(Math.floor(f), frames.length - 1);
  const a = frames[k];
  const b = frames[Math.min(k + 1, frames.length - 1)];
  const w = f - k;
  for (let i = 0; i < a.length; i++) out[i] = a[i] + (b[i] - a[i]) * w;
  return out;
}

function panel(c, frames, color) {
  const ctx = c.ctx;
  ctx.clearRect(0, 0, c.w, c.h);
  ctx.strokeStyle = T.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(0.5, 0.5, c.w - 1, c.h - 1);
  // the target: held-out points shipped with the weights, faint
  ctx.fillStyle = rgb(T.rgb.muted, T.dark ? 0.6 : 0.45);
  ctx.beginPath();
  const ref = data.reference;
  for (let i = 0; i < ref.length; i += 2) {
    const [px, py] = toPx(c, ref[i], ref[i + 1]);
    ctx.rect(px - 1.25, py - 1.25, 2.5, 2.5);
  }
  ctx.fill();
  const f = run.progress * steps();
  const x = positionsAt(frames, f, new Float64Array(frames[0].length));
  // trails of the first particles: every computed frame up to now, then the interpolated point
  ctx.strokeStyle = color;
  ctx.globalAlpha = 0.35;
  ctx.lineWidth = 1;
  ctx.beginPath();
  const upto = Math.min(Math.floor(f), frames.length - 1);
  const nTrail = Math.min(TRAILS, x.length / 2);
  for (let i = 0; i < nTrail; i++) {
    let [px, py] = toPx(c, frames[0][2 * i], frames[0][2 * i + 1]);
    ctx.moveTo(px, py);
    for (let k = 1; k <= upto; k++) {
      [px, py] = toPx(c, frames[k][2 * i], frames[k][2 * i + 1]);
      ctx.lineTo(px, py);
    }
    [px, py] = toPx(c, x[2 * i], x[2 * i + 1]);
    ctx.lineTo(px, py);
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  ctx.fillStyle = color;
  ctx.beginPath();
  let outside = 0;
  for (let i = 0; i < x.length; i += 2) {
    if (Math.abs(x[i]) > BOX || Math.abs(x[i + 1]) > BOX) { outside++; continue; }
    const [px, py] = toPx(c, x[i], x[i + 1]);
    ctx.moveTo(px + 1.8, py);
    ctx.arc(px, py, 1.8, 0, 2 * Math.PI);
  }
  ctx.fill();
  return { outside, finite: x.every(Number.isFinite) };
}

function draw() {
  if (!run) return;
  const flowColor = T.series[0];
  const ddpmColor = T.series[1];
  const a = panel(flowPlot, run.flowFrames, flowColor);
  const b = panel(ddpmPlot, run.ddpmFrames, ddpmColor);
  const S = steps();
  flowCaption.textContent = `Flow matching: Euler steps of v(x, t) (${otBox.input.checked ? 'OT-coupled' : 'independent'} pairs)`;
  const k = Math.min(S, Math.floor(run.progress * S + 1e-9));
  const t = k / S;
  let text = `Step <strong>${k}</strong> of ${S} · flow time t = ${t.toFixed(2)} · ${pointsS.get()} particles, seed ${seed}`;
  if (run.flowEnergy !== null) {
    const [n0, n1, n2] = run.nearest;
    text += `<br>Energy distance to the ${data.reference.length / 2} grey target points: noise ${fmt(run.noiseEnergy, 3)}`
      + ` → flow matching <strong>${fmt(run.flowEnergy, 3)}</strong>, DDPM <strong>${fmt(run.ddpmEnergy, 3)}</strong>`
      + `<br>Mean distance from a particle to the nearest grey point: noise ${fmt(n0, 3)}`
      + ` → flow matching <strong>${fmt(n1, 3)}</strong>, DDPM <strong>${fmt(n2, 3)}</strong>`
      + `<br>Flow straightness <strong>${fmt(run.flowStraightness, 3)}</strong> (0 = straight paths at constant speed)`;
  } else if (!playing && run.progress === 0) {
    text += ' · press Play';
  } else if (playing && run.waiting) {
    text += ' · computing …';
  }
  const off = [a.outside && `${a.outside} flow`, b.outside && `${b.outside} DDPM`].filter(Boolean);
  if (off.length) text += ` · outside the view: ${off.join(', ')} particles`;
  status.innerHTML = text;
  probe.metrics = {
    target: targetSel.get(), steps: S, points: pointsS.get(), ot: otBox.input.checked, seed,
    progress: run.progress, flowStep: run.flow.k, ddpmStep: run.ddpm.k, done: run.flowEnergy !== null,
    flowEnergy: run.flowEnergy, ddpmEnergy: run.ddpmEnergy, noiseEnergy: run.noiseEnergy,
    straightness: run.flowStraightness, nearest: run.nearest ?? null, finite: a.finite && b.finite,
    first: [run.flow.x[0], run.flow.x[1], run.ddpm.x[0], run.ddpm.x[1]],
  };
}

function save() {
  writeParams({ target: targetSel.get(), steps: steps(), n: pointsS.get(), ot: otBox.input.checked, seed });
}

for (const c of [flowPlot, ddpmPlot]) {
  c.canvas.addEventListener('keydown', (e) => {
    if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); playing ? pause() : play(); }
  });
}
onTheme((t) => { T = t; draw(); });
new ResizeObserver(() => {
  const w = mountWidth(mount);
  if (Math.abs(side(w) - flowPlot.w) > 4) {
    resizeCanvas(flowPlot, side(w), side(w));
    resizeCanvas(ddpmPlot, side(w), side(w));
    draw();
  }
}).observe(mount);

async function start() {
  try {
    meta = await (await fetch(new URL('model.json', base))).json();
    schedule = linearSchedule(meta.schedule.num_steps, meta.schedule.beta_start, meta.schedule.beta_end);
    data = await fetchTarget(targetSel.get());
    restart(false);
    probe.ready = true;
    probe.firstInteractiveMs = performance.now();
  } catch (err) {
    status.textContent = `The lab could not start: ${err.message}`;
    throw err;
  }
}
start();

// Attention-heatmap lab: type a string, watch a small trained transformer reverse it, and read every
// head's attention. UI only; the forward pass is core.js (checked against
// mlatlas.transformers.toy_attention_model by node --test) running on the exported weights.
import {
  button, checkbox, el, fmt, frameTick, injectStyle, labProbe, makeCanvas, mix, mountWidth, NARROW, onTheme, panelWidth, pointerPos,
  readParams, rgb, slider, theme, writeParams,
} from '../shared/ui.js';
import { decodeOutput, encode, forward, loadModel } from './core.js';

const mount = document.getElementById('lab');
injectStyle();
const probe = labProbe('attention-heatmap');

const schema = {
  text: { type: 'string', max: 40, default: 'attention' },
  causal: { type: 'bool', default: false },
  tau: { type: 'number', min: 0.05, max: 20, default: 1 },
};
const { values: P, notes } = readParams(schema);
let T = theme();
let model = null;
let result = null;
let ids = [];
let sweeping = false;
let sweepPhase = 0;

const inputId = 'attn-text';
const input = el('input', { type: 'text', id: inputId, value: P.text, maxlength: 40, autocomplete: 'off', spellcheck: 'false',
  style: 'width:12rem;font-family:monospace' });
// why an input is refused, shown right under the box (and announced), not below the heat maps
const inputError = el('div', { class: 'lab-note', id: 'attn-text-error', role: 'alert' });
input.setAttribute('aria-describedby', inputError.id);
const inputField = el('div', { class: 'lab-field' }, [el('label', { for: inputId, text: 'Sequence (a–z, 0–9, up to 12)' }), input, inputError]);
const causalCb = checkbox({ label: 'Causal mask (hide later tokens)', checked: P.causal, onChange: () => run() });
const tauS = slider({ label: 'Attention temperature τ', min: 0.05, max: 20, step: 0.01, log: true, value: P.tau,
  format: (v) => fmt(v, 2), onInput: () => run() });
const sweepBtn = button('Sweep τ', () => (sweeping ? stopSweep() : startSweep()));
const examples = ['hello', 'abc123', 'racecar', 'transformer', 'aaab'].map((s) => button(s, () => { input.value = s; run(); }));
const outBox = el('div', { class: 'lab-panel', style: 'font-family:monospace;font-size:1.05rem;padding:.5rem .7rem' });
const grid = el('div', { class: 'lab-stack' });
const status = el('div', { class: 'lab-status lab-readout', 'aria-live': 'polite' });
const note = el('div', { class: 'lab-note', role: 'status', text: notes.join('; ') });

mount.append(el('div', { class: 'lab' }, [
  el('div', { class: 'lab-controls' }, [inputField, causalCb.root, tauS.root,
    el('div', { class: 'lab-field lab-wide' }, [el('span', { class: 'lab-name', text: 'Try' }), el('div', { class: 'lab-row', style: 'gap:.3rem' }, [...examples, sweepBtn])])]),
  note, outBox, status, grid, // the output and readout sit right under the controls (on a phone too)
]));

let panels = [];

function buildPanels() {
  const { n_layer: L, n_head: H } = model.config;
  const w = mountWidth(mount);
  // one row per layer with its heads side by side on a laptop; on a phone one head per row
  const side = w < NARROW ? Math.min(320, panelWidth(w, 1)) : Math.max(150, Math.min(300, Math.floor((w - 30) / H) - 20));
  panels = [];
  const rows = [];
  for (let l = 0; l < L; l++) {
    const heads = [];
    for (let h = 0; h < H; h++) {
      const c = makeCanvas(side, side, `Attention of layer ${l + 1}, head ${h + 1}: rows are query positions, columns are key positions`);
      c.canvas.addEventListener('pointermove', (e) => hover(l, h, c, e));
      panels.push({ l, h, c });
      heads.push(el('div', { class: 'lab-panel' }, [el('p', { class: 'lab-caption', text: `Layer ${l + 1} · head ${h + 1}` }), c.canvas]));
    }
    rows.push(el('div', { class: 'lab-row', role: 'group', 'aria-label': `Layer ${l + 1}` }, heads));
  }
  grid.replaceChildren(...rows);
}

function run() {
  if (!model) return;
  let text = input.value;
  if (text !== text.toLowerCase()) {
    text = text.toLowerCase();
    input.value = text;
  }
  if (!sweeping) writeParams({ text, causal: causalCb.input.checked, tau: tauS.get() }); // not 60 times a second
  try {
    ids = encode(model, text);
  } catch (err) {
    result = null;
    inputError.textContent = err.message;
    outBox.textContent = '—';
    input.setAttribute('aria-invalid', 'true');
    status.textContent = 'No heat maps: the sequence above cannot be read (see the message under the box).';
    draw();
    return;
  }
  input.removeAttribute('aria-invalid');
  inputError.textContent = '';
  result = forward(model, ids, { causal: causalCb.input.checked, temperature: tauS.get() });
  const out = decodeOutput(model, result);
  const want = [...text].reverse().join('');
  const spans = [...out.text].map((ch, i) => {
    const ok = ch === want[i];
    const s = el('span', { text: ch, title: `p = ${out.confidence[i].toFixed(3)}` });
    s.style.color = ok ? T.fg : T.series[3];
    s.style.opacity = String(0.35 + 0.65 * out.confidence[i]);
    s.style.textDecoration = ok ? 'none' : 'underline wavy';
    return s;
  });
  const correct = out.text === want;
  outBox.replaceChildren(el('span', { class: 'muted', text: 'input  ' }), text, el('br'),
    el('span', { class: 'muted', text: 'output ' }), ...spans,
    el('span', { class: 'muted', text: correct ? '   ✓ reversed' : `   ✗ (reversal is ${want})` }));
  draw();
}

function draw() {
  probe.metrics = result
    ? { T: result.T, output: decodeOutput(model, result).text, attention: result.attention.map((l) => l.map((a) => Array.from(a))) }
    : { T: 0, output: null, attention: null };
  for (const { l, h, c } of panels) {
    const { ctx, w } = c;
    ctx.clearRect(0, 0, c.w, c.h);
    if (!result) {
      ctx.fillStyle = T.muted;
      ctx.font = '12px sans-serif';
      ctx.fillText('no valid input', 10, 20);
      continue;
    }
    const n = result.T;
    const m = 18; // margin for token labels
    const cell = (w - m) / n;
    const A = result.attention[l][h];
    const lo = T.rgb.bg;
    const hi = T.rgb.accent;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        ctx.fillStyle = rgb(mix(lo, hi, Math.sqrt(A[i * n + j]))); // sqrt: small weights stay visible
        ctx.fillRect(m + j * cell, m + i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    ctx.strokeStyle = T.border;
    ctx.strokeRect(m + 0.5, m + 0.5, w - m - 1, w - m - 1);
    ctx.fillStyle = T.fg;
    ctx.font = `${Math.min(12, Math.max(8, cell * 0.6))}px monospace`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let k = 0; k < n; k++) {
      const ch = model.vocab[ids[k]];
      ctx.fillText(ch, m + (k + 0.5) * cell, m / 2); // keys across the top
      ctx.fillText(ch, m / 2, m + (k + 0.5) * cell); // queries down the side
    }
    ctx.textAlign = 'start';
    ctx.textBaseline = 'alphabetic';
  }
  if (result) {
    status.innerHTML = `${result.T} tokens · causal mask ${causalCb.input.checked ? '<strong>on</strong> (the model was trained without it)' : 'off'} · τ = ${fmt(tauS.get(), 2)} · each row is a query position and sums to 1; hover a cell for its weight`;
  }
}

function hover(l, h, c, e) {
  if (!result) return;
  const [px, py] = pointerPos(c.canvas, e);
  const n = result.T;
  const cell = (c.w - 18) / n;
  const i = Math.floor((py - 18) / cell);
  const j = Math.floor((px - 18) / cell);
  if (i < 0 || j < 0 || i >= n || j >= n) return;
  const a = result.attention[l][h][i * n + j];
  status.textContent = `Layer ${l + 1}, head ${h + 1}: position ${i} (“${model.vocab[ids[i]]}”) puts ${(100 * a).toFixed(1)}% of its attention on position ${j} (“${model.vocab[ids[j]]}”)`;
}

function startSweep() {
  sweeping = true;
  probe.animating = true;
  sweepBtn.textContent = 'Stop sweep';
  requestAnimationFrame(sweep);
}

function stopSweep() {
  sweeping = false;
  probe.animating = false;
  sweepBtn.textContent = 'Sweep τ';
  run(); // records the final τ in the address
}

function sweep(ts) {
  if (!sweeping) return;
  frameTick(probe, ts);
  sweepPhase += 0.02;
  tauS.set(10 ** (Math.sin(sweepPhase) * 1.0)); // τ from 0.1 to 10 and back
  run();
  requestAnimationFrame(sweep);
}

input.addEventListener('input', () => run());
onTheme((t) => { T = t; run(); });

async function init() {
  try {
    const [meta, buffer] = await Promise.all([
      fetch(new URL('model.json', import.meta.url)).then((r) => { if (!r.ok) throw new Error(`model.json: HTTP ${r.status}`); return r.json(); }),
      fetch(new URL('weights.bin', import.meta.url)).then((r) => { if (!r.ok) throw new Error(`weights.bin: HTTP ${r.status}`); return r.arrayBuffer(); }),
    ]);
    model = loadModel(meta, buffer);
  } catch (err) {
    note.textContent = `Could not load the model weights (${err.message}).`;
    return;
  }
  buildPanels();
  run();
  probe.ready = true;
  probe.firstInteractiveMs = performance.now();
}

init();

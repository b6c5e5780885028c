// Shared UI helpers for the labs: DOM builders, labelled controls, theme colours, canvases,
// URL state with clamping, and a frame probe for the benchmark. No numerics here.

const CSS = `
.lab { display: grid; gap: .8rem; margin: 0 0 1.5rem; color: var(--fg); }
.lab-controls { display: flex; flex-wrap: wrap; gap: .55rem 1.1rem; align-items: end; padding: .7rem .8rem;
  border: 1px solid var(--border); border-radius: 10px; background: var(--surface); }
.lab-field { display: grid; gap: .15rem; font-size: .85rem; min-width: 8.5rem; }
.lab-field label, .lab-field .lab-name { color: var(--muted); font-weight: 600; }
.lab-field output { font-variant-numeric: tabular-nums; color: var(--fg); }
.lab-field input[type=range] { width: 9rem; accent-color: var(--accent); }
.lab select, .lab input[type=text], .lab input[type=number] { font: inherit; font-size: .9rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--border); border-radius: 6px; padding: .2rem .4rem; }
.lab button { font: inherit; font-size: .9rem; border: 1px solid var(--border); background: var(--bg); color: var(--fg);
  border-radius: 999px; padding: .25rem .8rem; cursor: pointer; }
.lab button.primary { background: var(--accent); color: var(--accent-fg, var(--bg)); border-color: var(--accent); }
.lab button:disabled { opacity: .5; cursor: default; }
.lab-row { display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-start; }
.lab-stack { display: grid; gap: .8rem; }
.lab-panel { border: 1px solid var(--border); border-radius: 10px; background: var(--bg); padding: .4rem; max-width: 100%; }
.lab-panel h3, .lab-panel .lab-caption { margin: .1rem .2rem .3rem; font-size: .8rem; color: var(--muted); font-weight: 600; width: 0; min-width: calc(100% - .4rem); }
.lab canvas { display: block; max-width: 100%; touch-action: none; }
.lab-status { font-size: .88rem; color: var(--muted); min-height: 1.3em; font-variant-numeric: tabular-nums; }
.lab-status strong { color: var(--fg); }
.lab-note { font-size: .85rem; color: var(--warn, var(--accent)); min-height: 1.2em; }
.lab-legend { display: flex; flex-wrap: wrap; gap: .3rem .9rem; font-size: .82rem; color: var(--muted); }
.lab-legend span::before { content: ""; display: inline-block; width: .8em; height: .8em; border-radius: 2px;
  background: var(--c); margin-right: .3em; vertical-align: -.05em; }
.lab-check { display: flex; gap: .35rem; align-items: center; font-size: .88rem; min-height: 24px; }
.lab-check label::before { content: ""; display: inline-block; width: .8em; height: .8em; border-radius: 2px;
  background: var(--c, transparent); margin-right: .3em; vertical-align: -.05em; }
.lab-field .lab-note { max-width: 22rem; }
.lab > .lab-note:empty { display: none; }
.lab-readout { border-left: 3px solid var(--accent); padding: .15rem .5rem; }
@media (max-width: 600px) {
  .lab-controls { padding: .6rem; gap: .5rem .8rem; }
  .lab-field { min-width: 0; flex: 1 1 9rem; grid-template-columns: minmax(0, 1fr); }
  .lab-field select, .lab-field input[type=text] { width: 100%; min-width: 0; max-width: 100%; }
  .lab-field.lab-wide { flex-basis: 100%; }
  .lab-field input[type=range] { width: 100%; }
  .lab-row > .lab-panel { flex: 1 1 100%; }
}
`;

export function injectStyle() {
  if (document.getElementById('lab-style')) return;
  const style = document.createElement('style');
  style.id = 'lab-style';
  style.textContent = CSS;
  document.head.appendChild(style);
}

/** el('div', {class: 'x', onclick: f}, [children]) */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of [].concat(children)) if (c !== null && c !== undefined) node.append(c);
  return node;
}

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** A labelled range slider with a live readout. Returns {root, input, get, set}. */
export function slider({ label, min, max, step, value, format = (v) => String(v), onInput, log = false }) {
  const id = nextId('lab-s');
  const toPos = (v) => (log ? Math.log10(v) : v);
  const fromPos = (p) => (log ? 10 ** p : p);
  const input = el('input', { type: 'range', id, min: toPos(min), max: toPos(max), step, value: toPos(value) });
  const root = el('div', { class: 'lab-field' }, [el('label', { for: id, text: label }), input]);
  const get = () => fromPos(Number(input.value));
  // the readout formats the value the lab will use (the slider's snapped position), never the requested one
  const out = el('output', { for: id, text: format(get()) });
  root.append(out);
  input.addEventListener('input', () => {
    out.textContent = format(get());
    onInput?.(get());
  });
  return {
    root, input, get,
    set(v) {
      input.value = toPos(v);
      out.textContent = format(get());
    },
  };
}

/** A labelled <select>. options: [[value, text], ...]. */
export function select({ label, options, value, onChange }) {
  const id = nextId('lab-sel');
  const input = el('select', { id }, options.map(([v, t]) => el('option', { value: v, text: t })));
  input.value = value;
  input.addEventListener('change', () => onChange?.(input.value));
  const root = el('div', { class: 'lab-field' }, [el('label', { for: id, text: label }), input]);
  return { root, input, get: () => input.value, set: (v) => { input.value = v; } };
}

export function checkbox({ label, checked, onChange }) {
  const id = nextId('lab-cb');
  const input = el('input', { type: 'checkbox', id, checked });
  input.addEventListener('change', () => onChange?.(input.checked));
  return { root: el('div', { class: 'lab-check' }, [input, el('label', { for: id, text: label })]), input };
}

export function button(text, onClick, attrs = {}) {
  return el('button', { type: 'button', onclick: onClick, ...attrs, text });
}

// ------------------------------------------------------------------ theme

function parseColor(css) {
  const ctx = parseColor.ctx || (parseColor.ctx = document.createElement('canvas').getContext('2d'));
  ctx.fillStyle = '#000';
  ctx.fillStyle = css.trim() || '#000';
  const v = ctx.fillStyle; // normalised: #rrggbb or rgba(...)
  if (v.startsWith('#')) return [1, 3, 5].map((k) => parseInt(v.slice(k, k + 2), 16));
  const m = v.match(/[\d.]+/g) || [0, 0, 0];
  return m.slice(0, 3).map(Number);
}

/** The page's colours, read from the CSS custom properties (so dark mode just works). */
export function theme() {
  const cs = getComputedStyle(document.documentElement);
  const read = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  const t = {
    bg: read('--bg', '#ffffff'), fg: read('--fg', '#1c2333'), muted: read('--muted', '#5b6478'),
    accent: read('--accent', '#2457c5'), border: read('--border', '#dde1ea'), surface: read('--surface', '#f3f4f7'),
  };
  t.rgb = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, parseColor(v)]));
  t.dark = document.documentElement.dataset.theme === 'dark';
  // data series, one set per theme: each >= 4.5:1 against its background (lines and text alike)
  t.series = t.dark
    ? ['#60a5fa', '#fb923c', '#34d399', '#fb7185', '#a78bfa', '#facc15', '#22d3ee', '#94a3b8']
    : ['#1d4ed8', '#c2410c', '#047857', '#be123c', '#6d28d9', '#a16207', '#0e7490', '#475569'];
  return t;
}

/** Call fn when the reader toggles the theme (themechange event, or data-theme changing). */
export function onTheme(fn) {
  document.addEventListener('themechange', () => fn(theme()));
  new MutationObserver(() => fn(theme())).observe(document.documentElement, {
    attributes: true, attributeFilter: ['data-theme'],
  });
}

export function mix(c1, c2, t) {
  return [0, 1, 2].map((k) => Math.round(c1[k] + (c2[k] - c1[k]) * t));
}

export function rgb(c, alpha = 1) {
  return alpha === 1 ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

export function hexToRgb(h) {
  return [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
}

// ------------------------------------------------------------------ canvas

/** A canvas of CSS size w x h drawn at device pixel ratio; returns {canvas, ctx, w, h}. */
export function makeCanvas(w, h, label) {
  const canvas = el('canvas', { role: 'img', 'aria-label': label });
  const c = { canvas, ctx: canvas.getContext('2d'), w, h };
  resizeCanvas(c, w, h);
  return c;
}

export function resizeCanvas(c, w, h) {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  c.w = w;
  c.h = h;
  c.canvas.width = Math.round(w * dpr);
  c.canvas.height = Math.round(h * dpr);
  c.canvas.style.width = `${w}px`;
  c.canvas.style.height = `${h}px`;
  c.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

/** Width available inside the mount (the page column), clamped. */
export function mountWidth(mount, min = 260, max = 760) {
  return Math.max(min, Math.min(max, Math.floor(mount.clientWidth || 640)));
}

/** Below this column width (a phone) the labs stack their panels at full width. */
export const NARROW = 560;

/**
 * CSS width of a canvas inside a .lab-panel when `cols` panels share a row of width w: on a phone
 * (w < NARROW) every panel takes the whole row instead, so canvases stack rather than shrink.
 */
export function panelWidth(w, cols = 2, gap = 64) {
  if (w < NARROW || cols <= 1) return Math.max(120, w - 18);
  return Math.floor((w - gap) / cols);
}

/** Pointer position in CSS pixels relative to a canvas. */
export function pointerPos(canvas, event) {
  const r = canvas.getBoundingClientRect();
  return [event.clientX - r.left, event.clientY - r.top];
}

// ------------------------------------------------------------------ URL state

/**
 * Read settings from the URL query, clamping absurd values. schema: {key: spec} with spec
 * {type: 'number'|'int', min, max, default} or {type: 'enum', values, default} or {type: 'bool', default}
 * or {type: 'string', max, pattern, default}. Returns {values, notes} (notes explain what was fixed).
 */
export function readParams(schema, search = window.location.search) {
  const q = new URLSearchParams(search);
  const values = {};
  const notes = [];
  for (const [key, spec] of Object.entries(schema)) {
    const raw = q.get(key);
    let v = spec.default;
    if (raw !== null) {
      if (spec.type === 'number' || spec.type === 'int') {
        const num = Number(raw);
        if (!Number.isFinite(num)) {
          notes.push(`${key} in the address is not a finite number; ${Number.isFinite(spec.default) ? `using ${spec.default}` : 'ignored'}`);
        }
        else {
          v = spec.type === 'int' ? Math.round(num) : num;
          if (v < spec.min || v > spec.max) {
            const c = Math.min(spec.max, Math.max(spec.min, v));
            notes.push(`${key}=${raw} is outside [${spec.min}, ${spec.max}]; using ${c}`);
            v = c;
          }
        }
      } else if (spec.type === 'enum') {
        if (spec.values.includes(raw)) v = raw;
        else notes.push(`${key}=${raw} is not one of ${spec.values.join(', ')}`);
      } else if (spec.type === 'bool') {
        v = raw === '1' || raw === 'true';
      } else if (spec.type === 'string') {
        const s = raw.slice(0, spec.max ?? 64);
        if (!spec.pattern || spec.pattern.test(s)) v = s;
        else notes.push(`${key} contains characters the lab cannot use`);
      }
    }
    values[key] = v;
  }
  return { values, notes };
}

/** Write settings into the URL (replaceState: shareable, no history spam). */
export function writeParams(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : typeof v === 'number' ? String(+v.toPrecision(6)) : v);
  }
  history.replaceState(null, '', `${window.location.pathname}?${q}${window.location.hash}`);
}

// ------------------------------------------------------------------ probes for tests and the benchmark

/** window.__lab: a tiny status object tests and benchmarks read (frames, readiness, errors). */
export function labProbe(name) {
  const probe = { name, ready: false, frames: [], animating: false, firstInteractiveMs: null };
  window.__lab = probe;
  return probe;
}

export function frameTick(probe, ts) {
  probe.frames.push(ts);
  if (probe.frames.length > 600) probe.frames.splice(0, probe.frames.length - 600);
}

export function fmt(v, digits = 3) {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toFixed(digits);
}

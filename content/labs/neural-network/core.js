// Numerical core of the neural-network lab: a port of mlatlas.foundations.neural_networks
// (MLP forward, binary cross-entropy, hand-written backprop, L2, SGD step) plus the 2-D datasets.
// No DOM access: node --test checks it against golden vectors written by the Python package.
//
// Shapes follow the Python module: x is (B, F) row-major in a Float64Array; a layer holds
// W (F_in, F_out) row-major and b (F_out); z_l = a_{l-1} W_l + b_l; the last layer is linear.

export const ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'linear'];

export function sigmoid(z) {
  const e = Math.exp(-Math.abs(z)); // never overflows
  return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

function act(z, activation) {
  switch (activation) {
    case 'tanh': return Math.tanh(z);
    case 'relu': return z > 0 ? z : 0.0;
    case 'sigmoid': return sigmoid(z);
    case 'linear': return z;
    default: throw new RangeError(`unknown activation ${activation}`);
  }
}

function actDerivative(z, a, activation) {
  switch (activation) {
    case 'tanh': return 1.0 - a * a;
    case 'relu': return z > 0 ? 1.0 : 0.0;
    case 'sigmoid': return a * (1.0 - a);
    default: return 1.0;
  }
}

/** He/LeCun init drawn layer by layer with rng.standardNormal(F_in * F_out), like init_mlp. */
export function initMlp(sizes, rng, activation = 'tanh') {
  if (!ACTIVATIONS.includes(activation)) throw new RangeError(`unknown activation ${activation}`);
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`layer widths must be positive integers, got ${sizes}`);
  }
  const gain = activation === 'relu' ? Math.sqrt(2.0) : 1.0;
  const params = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fin = sizes[l];
    const fout = sizes[l + 1];
    const z = rng.standardNormal(fin * fout);
    const W = new Float64Array(fin * fout);
    const s = Math.sqrt(fin);
    for (let k = 0; k < W.length; k++) W[k] = (gain * z[k]) / s; // gain N(0,1) / sqrt(fan_in)
    params.push({ fin, fout, W, b: new Float64Array(fout) });
  }
  return params;
}

export function cloneParams(params) {
  return params.map((p) => ({ fin: p.fin, fout: p.fout, W: Float64Array.from(p.W), b: Float64Array.from(p.b) }));
}

/** Forward pass: returns {pre: [z_1..z_L], acts: [x, a_1, .., a_L]} as Float64Arrays (B x F_l). */
export function forward(params, x, B, activation = 'tanh') {
  if (x.length !== B * params[0].fin) throw new RangeError('x must have B * F entries');
  const pre = [];
  const acts = [x];
  const L = params.length;
  for (let l = 0; l < L; l++) {
    const { fin, fout, W, b } = params[l];
    const a = acts[acts.length - 1];
    const z = new Float64Array(B * fout);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < fout; j++) {
        let s = 0.0;
        for (let k = 0; k < fin; k++) s += a[i * fin + k] * W[k * fout + j];
        z[i * fout + j] = s + b[j]; // z_l = a_{l-1} W_l + b_l
      }
    }
    pre.push(z);
    if (l < L - 1) {
      const h = new Float64Array(z.length);
      for (let k = 0; k < z.length; k++) h[k] = act(z[k], activation);
      acts.push(h);
    } else {
      acts.push(z); // last layer linear: logits
    }
  }
  return { pre, acts };
}

/** Binary cross-entropy from logits (B, 1): loss = mean softplus(z) - y z; dz = (p - y) / B. */
export function bceLoss(logits, y) {
  const B = logits.length;
  let total = 0.0;
  const dlogits = new Float64Array(B);
  const p = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const z = logits[i];
    const softplus = Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    total += softplus - y[i] * z;
    p[i] = sigmoid(z);
    dlogits[i] = (p[i] - y[i]) / B;
  }
  return { loss: total / B, dlogits, p };
}

/** Backprop: delta_L = dlogits; dW = a^T delta; db = sum delta; delta_{l-1} = (delta W^T) act'. */
export function backward(params, cache, dlogits, B, activation = 'tanh') {
  const grads = new Array(params.length);
  let delta = dlogits;
  for (let l = params.length - 1; l >= 0; l--) {
    const { fin, fout, W } = params[l];
    const aPrev = cache.acts[l];
    const dW = new Float64Array(fin * fout);
    const db = new Float64Array(fout);
    for (let k = 0; k < fin; k++) {
      for (let j = 0; j < fout; j++) {
        let s = 0.0;
        for (let i = 0; i < B; i++) s += aPrev[i * fin + k] * delta[i * fout + j];
        dW[k * fout + j] = s;
      }
    }
    for (let j = 0; j < fout; j++) {
      let s = 0.0;
      for (let i = 0; i < B; i++) s += delta[i * fout + j];
      db[j] = s;
    }
    grads[l] = { dW, db };
    if (l > 0) {
      const zPrev = cache.pre[l - 1];
      const next = new Float64Array(B * fin);
      for (let i = 0; i < B; i++) {
        for (let k = 0; k < fin; k++) {
          let s = 0.0;
          for (let j = 0; j < fout; j++) s += delta[i * fout + j] * W[k * fout + j];
          next[i * fin + k] = s * actDerivative(zPrev[i * fin + k], aPrev[i * fin + k], activation);
        }
      }
      delta = next;
    }
  }
  return grads;
}

/** Forward, BCE (+ (l2/2) sum ||W||^2), backward. Returns {loss, grads, p}. */
export function lossAndGradients(params, x, y, B, { activation = 'tanh', l2 = 0.0 } = {}) {
  if (!(l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${l2}`);
  const cache = forward(params, x, B, activation);
  const { loss, dlogits, p } = bceLoss(cache.acts[cache.acts.length - 1], y);
  const grads = backward(params, cache, dlogits, B, activation);
  let penalty = 0.0;
  if (l2 > 0) {
    let sq = 0.0;
    for (let l = 0; l < params.length; l++) {
      const W = params[l].W;
      let s = 0.0;
      for (let k = 0; k < W.length; k++) s += W[k] * W[k];
      sq += s;
      const dW = grads[l].dW;
      for (let k = 0; k < W.length; k++) dW[k] = dW[k] + l2 * W[k]; // d/dW (l2/2)||W||^2
    }
    penalty = 0.5 * l2 * sq;
  }
  return { loss: loss + penalty, grads, p };
}

/** theta <- theta - lr * grad, in place. */
export function sgdStep(params, grads, lr) {
  if (!(lr > 0)) throw new RangeError(`learning rate must be > 0, got ${lr}`);
  for (let l = 0; l < params.length; l++) {
    const { W, b } = params[l];
    const { dW, db } = grads[l];
    for (let k = 0; k < W.length; k++) W[k] = W[k] - lr * dW[k];
    for (let k = 0; k < b.length; k++) b[k] = b[k] - lr * db[k];
  }
}

/** Mean BCE loss without gradients (for the test curve). */
export function evalLoss(params, x, y, B, activation) {
  if (B === 0) return NaN;
  const cache = forward(params, x, B, activation);
  return bceLoss(cache.acts[cache.acts.length - 1], y).loss;
}

// ------------------------------------------------------------------ datasets (drawn with LabRandom)

export const DATASETS = ['circle', 'xor', 'spiral', 'blobs', 'custom'];

/** n labelled points in roughly [-1, 1]^2: {x: Float64Array(2n), y: Float64Array(n)}. */
export function makeDataset(name, n, rng, noise = 0.1) {
  const x = new Float64Array(2 * n);
  const y = new Float64Array(n);
  const u = rng.uniform(2 * n);
  const z = rng.standardNormal(2 * n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    let px;
    let py;
    if (name === 'xor') {
      px = 2 * u[2 * i] - 1;
      py = 2 * u[2 * i + 1] - 1;
      y[i] = px * py > 0 ? 1 : 0;
    } else if (name === 'circle') {
      const t = 2 * Math.PI * u[2 * i];
      const r = label ? 0.35 * u[2 * i + 1] : 0.65 + 0.3 * u[2 * i + 1];
      px = r * Math.cos(t);
      py = r * Math.sin(t);
      y[i] = label;
    } else if (name === 'spiral') {
      const r = 0.05 + 0.85 * u[2 * i];
      const t = 3.0 * Math.PI * r + Math.PI * label;
      px = r * Math.cos(t);
      py = r * Math.sin(t);
      y[i] = label;
    } else if (name === 'blobs') {
      px = label ? 0.45 : -0.45;
      py = label ? 0.35 : -0.35;
      px += (0.12 + noise) * z[2 * i]; // blob spread grows with the noise slider
      py += (0.12 + noise) * z[2 * i + 1];
      y[i] = label;
    } else {
      throw new RangeError(`unknown dataset ${name}`);
    }
    const jitter = name === 'blobs' ? 0 : noise;
    x[2 * i] = px + jitter * z[2 * i];
    x[2 * i + 1] = py + jitter * z[2 * i + 1];
  }
  return { x, y };
}

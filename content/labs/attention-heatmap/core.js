// Numerical core of the attention-heatmap lab: the forward pass of
// mlatlas.transformers.toy_attention_model (2-layer pre-LN encoder trained to reverse strings),
// in float64 from the exported float32 weights. No DOM access; node --test checks logits and
// every attention map against golden vectors written by the Python package.

/** Parse model.json + weights.bin (an ArrayBuffer of little-endian float32) into Float64Arrays. */
export function loadModel(meta, buffer) {
  const view = new DataView(buffer);
  const tensors = {};
  for (const t of meta.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(size);
    for (let k = 0; k < size; k++) data[k] = view.getFloat32(4 * (t.offset + k), true);
    tensors[t.name] = { shape: t.shape, data };
  }
  return { config: meta.config, vocab: meta.vocab, eps: meta.layer_norm_eps ?? 1e-5, tensors };
}

/** Token ids of text; throws a RangeError that says what is wrong (the UI shows the message). */
export function encode(model, text) {
  if (text.length === 0) throw new RangeError('Type at least one character (a–z, 0–9).');
  if (text.length > model.config.max_len) {
    throw new RangeError(`The model knows ${model.config.max_len} positions; this has ${text.length}.`);
  }
  const ids = [];
  for (const ch of text) {
    const id = model.vocab.indexOf(ch);
    if (id < 0) throw new RangeError(`“${ch}” is not in the vocabulary (lowercase a–z and 0–9).`);
    ids.push(id);
  }
  return ids;
}

function layerNorm(x, T, C, w, b, eps) {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    let mean = 0.0;
    for (let c = 0; c < C; c++) mean += x[t * C + c];
    mean /= C;
    let v = 0.0;
    for (let c = 0; c < C; c++) {
      const d = x[t * C + c] - mean;
      v += d * d;
    }
    const inv = 1.0 / Math.sqrt(v / C + eps); // biased variance, as torch.nn.LayerNorm
    for (let c = 0; c < C; c++) out[t * C + c] = (x[t * C + c] - mean) * inv * w[c] + b[c];
  }
  return out;
}

/** y = x W^T + b with W of shape (out, in), as torch.nn.Linear.  x (T, in) -> (T, out). */
function linear(x, T, W, b) {
  const [nOut, nIn] = W.shape;
  const out = new Float64Array(T * nOut);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < nOut; o++) {
      let s = b.data[o];
      for (let i = 0; i < nIn; i++) s += x[t * nIn + i] * W.data[o * nIn + i];
      out[t * nOut + o] = s;
    }
  }
  return out;
}

/**
 * Forward pass for one sequence of token ids.
 * Returns {logits: Float64Array (T, V), attention: [layer][head] -> Float64Array (T, T), T}.
 * causal: hide keys j > i; temperature tau divides the scores: softmax(q k^T / (sqrt(D) tau)).
 */
export function forward(model, ids, { causal = false, temperature = 1.0 } = {}) {
  const { n_embd: C, n_head: H, n_layer: L, vocab_size: V } = model.config;
  const T = ids.length;
  if (T === 0) throw new RangeError('empty sequence');
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError('temperature must be > 0');
  const D = C / H;
  const p = model.tensors;
  let x = new Float64Array(T * C);
  const tok = p['tok_emb.weight'].data;
  const pos = p['pos_emb.weight'].data;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) x[t * C + c] = tok[ids[t] * C + c] + pos[t * C + c]; // token + position
  }
  const attention = [];
  const scale = Math.sqrt(D) * temperature;
  for (let l = 0; l < L; l++) {
    const g = (name) => p[`blocks.${l}.${name}`];
    const h = layerNorm(x, T, C, g('ln_1.weight').data, g('ln_1.bias').data, model.eps);
    const q = linear(h, T, g('q_proj.weight'), g('q_proj.bias'));
    const k = linear(h, T, g('k_proj.weight'), g('k_proj.bias'));
    const v = linear(h, T, g('v_proj.weight'), g('v_proj.bias'));
    const heads = [];
    const concat = new Float64Array(T * C);
    for (let hd = 0; hd < H; hd++) {
      const a = new Float64Array(T * T);
      for (let i = 0; i < T; i++) {
        let max = -Infinity;
        const jMax = causal ? i : T - 1;
        for (let j = 0; j <= jMax; j++) {
          let s = 0.0;
          for (let d = 0; d < D; d++) s += q[i * C + hd * D + d] * k[j * C + hd * D + d];
          s /= scale; // q k^T / (sqrt(D) tau)
          a[i * T + j] = s;
          if (s > max) max = s;
        }
        let z = 0.0;
        for (let j = 0; j <= jMax; j++) {
          const e = Math.exp(a[i * T + j] - max); // stable softmax
          a[i * T + j] = e;
          z += e;
        }
        for (let j = 0; j < T; j++) a[i * T + j] = j <= jMax ? a[i * T + j] / z : 0.0;
        for (let d = 0; d < D; d++) {
          let s = 0.0;
          for (let j = 0; j <= jMax; j++) s += a[i * T + j] * v[j * C + hd * D + d];
          concat[i * C + hd * D + d] = s; // heads side by side
        }
      }
      heads.push(a);
    }
    attention.push(heads);
    const o = linear(concat, T, g('o_proj.weight'), g('o_proj.bias'));
    const x1 = new Float64Array(T * C);
    for (let n = 0; n < T * C; n++) x1[n] = x[n] + o[n]; // residual around attention
    const h2 = layerNorm(x1, T, C, g('ln_2.weight').data, g('ln_2.bias').data, model.eps);
    const f = linear(h2, T, g('fc_in.weight'), g('fc_in.bias'));
    for (let n = 0; n < f.length; n++) f[n] = f[n] > 0 ? f[n] : 0.0; // ReLU
    const m = linear(f, T, g('fc_out.weight'), g('fc_out.bias'));
    for (let n = 0; n < T * C; n++) x1[n] = x1[n] + m[n]; // residual around the MLP
    x = x1;
  }
  const hf = layerNorm(x, T, C, p['ln_f.weight'].data, p['ln_f.bias'].data, model.eps);
  const logits = linear(hf, T, p['head.weight'], p['head.bias']);
  if (logits.length !== T * V) throw new Error('bad head shape');
  return { logits, attention, T };
}

/** Softmax probabilities and the argmax string of a forward result. */
export function decodeOutput(model, result) {
  const V = model.config.vocab_size;
  const chars = [];
  const confidence = [];
  for (let t = 0; t < result.T; t++) {
    let best = 0;
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      if (result.logits[t * V + v] > max) {
        max = result.logits[t * V + v];
        best = v;
      }
    }
    let z = 0.0;
    for (let v = 0; v < V; v++) z += Math.exp(result.logits[t * V + v] - max);
    chars.push(model.vocab[best]);
    confidence.push(1.0 / z);
  }
  return { text: chars.join(''), confidence };
}

// Lab generator: the JavaScript twin of src/mlatlas/labs/rng.py (same seed, same numbers, bit for bit).
// Counter-based: normal k is a pure function of (seed, k). Words come from mulberry32's hash,
// uniforms carry 53 bits, normals come from Box–Muller with our own log / cos / sin written from
// exactly-rounded IEEE operations only (the platform Math.log may differ from C's in the last bit).

const GOLDEN_GAMMA = 0x6d2b79f5;
const SEED_SALT = 0x9e3779b9;
const UNIFORM_SALT = 0x85ebca6b;
const TWO_POW_26 = 67108864.0;
const TWO_POW_53 = 9007199254740992.0;
const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const SQRT_HALF = 0.7071067811865476;
const TWO_PI = 6.283185307179586;
export const MAX_NORMALS = 2 ** 31;

export function mix32(t) {
  t = t >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

export function keyOf(seed, salt = SEED_SALT) {
  return mix32((seed ^ salt) >>> 0);
}

/** word(seed, c) = mix32(key + (c + 1) * 0x6D2B79F5), all mod 2^32. */
export function word(key, c) {
  return mix32((key + Math.imul((c + 1) >>> 0, GOLDEN_GAMMA)) >>> 0);
}

function uniform53(hi, lo) {
  return ((hi >>> 5) * TWO_POW_26 + (lo >>> 6) + 0.5) / TWO_POW_53;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word is [1]

/** Exact frexp for positive finite normal x: x = m 2^e, m in [0.5, 1). */
function frexp(x) {
  if (x < 2.2250738585072014e-308) {
    const [m, e] = frexp(x * 18014398509481984.0); // 2^54, exact
    return [m, e - 54];
  }
  F64[0] = x;
  const hi = U32[HI];
  const e = ((hi >>> 20) & 0x7ff) - 1022;
  U32[HI] = (hi & 0x800fffff) | (1022 << 20);
  return [F64[0], e];
}

/** log x from exact operations, the same sequence as rng.log in Python. */
export function log(x) {
  let [m, e] = frexp(x);
  if (m < SQRT_HALF) {
    m = m * 2.0;
    e = e - 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const s2 = s * s;
  let p = 1.0 / 23.0;
  for (let k = 21; k > 0; k -= 2) p = p * s2 + 1.0 / k;
  const logM = 2.0 * s * p;
  return (e * LN2_HI + logM) + e * LN2_LO;
}

function sinCosSmall(a) {
  const a2 = a * a;
  let sn = 1.0;
  for (let k = 21; k > 2; k -= 2) sn = 1.0 - (a2 / ((k - 1) * k)) * sn;
  let cs = 1.0;
  for (let k = 20; k > 1; k -= 2) cs = 1.0 - (a2 / ((k - 1) * k)) * cs;
  return [a * sn, cs];
}

/** [cos 2πu, sin 2πu] for u in [0, 1). */
export function cosSinTurns(u) {
  const q = Math.min(Math.floor(u * 8.0), 7.0);
  const k = Math.floor((q + 1.0) / 2.0);
  const r = u - k * 0.25;
  const [s, c] = sinCosSmall(r * TWO_PI);
  switch (k % 4) {
    case 0: return [c, s];
    case 1: return [-s, c];
    case 2: return [-c, -s];
    default: return [s, -c];
  }
}

/** The normal at stream position `index` for a generator keyed by `key`. */
export function normalAt(key, index) {
  const pair = Math.floor(index / 2);
  const c = 4 * pair;
  const u1 = uniform53(word(key, c), word(key, c + 1));
  const u2 = uniform53(word(key, c + 2), word(key, c + 3));
  const r = Math.sqrt(-2.0 * log(u1));
  const [cos, sin] = cosSinTurns(u2);
  return index % 2 === 0 ? r * cos : r * sin;
}

export class LabRandom {
  constructor(seed = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    this.seed = seed;
    this.key = keyOf(seed, SEED_SALT);
    this.uniformKey = keyOf(seed, UNIFORM_SALT);
    this.position = 0;
    this.uniformPosition = 0;
  }

  /** Next n standard normals as a Float64Array (C order, like numpy's standard_normal). */
  standardNormal(n) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`size must be a non-negative integer, got ${n}`);
    if (this.position + n > MAX_NORMALS) throw new RangeError('generator exhausted: use another seed');
    const out = new Float64Array(n);
    let k = this.position;
    let i = 0;
    if (k % 2 === 1 && n > 0) out[i++] = normalAt(this.key, k++);
    for (; i + 1 < n; i += 2, k += 2) {
      // both members of a Box–Muller pair at once (same arithmetic as normalAt)
      const c = 2 * k;
      const u1 = uniform53(word(this.key, c), word(this.key, c + 1));
      const u2 = uniform53(word(this.key, c + 2), word(this.key, c + 3));
      const r = Math.sqrt(-2.0 * log(u1));
      const [cos, sin] = cosSinTurns(u2);
      out[i] = r * cos;
      out[i + 1] = r * sin;
    }
    if (i < n) out[i++] = normalAt(this.key, k++);
    this.position += n;
    return out;
  }

  /** Alias with numpy's spelling. */
  standard_normal(n) {
    return this.standardNormal(n);
  }

  /** Next n uniforms in (0, 1) from the independent uniform stream. */
  uniform(n) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`size must be a non-negative integer, got ${n}`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = 2 * (this.uniformPosition + i);
      out[i] = uniform53(word(this.uniformKey, c), word(this.uniformKey, c + 1));
    }
    this.uniformPosition += n;
    return out;
  }
}

"""Lab generator: a counter-based normal generator written identically in Python and JavaScript.

Paper: hash after T. Ettinger's mulberry32 (public domain, 2017) used as a counter-based generator
in the spirit of Salmon, Moraes, Dror & Shaw (2011, "Parallel random numbers: as easy as 1, 2, 3");
normals by the Box–Muller transform (Box & Muller, 1958).
The browser labs and the Python package must draw *the same* random numbers from the same seed, so
that a Brownian path simulated in the lab is bit-for-bit the path the package simulates.

Why not numpy's generator: PCG64 and its ziggurat normals would have to be re-implemented in
JavaScript with 64-bit integer arithmetic. Instead every draw here is a pure function of
``(seed, index)`` built only from operations that are exactly specified in both languages:

* 32-bit integer hashing (``Math.imul``/``>>>`` in JS; uint64 arithmetic masked to 32 bits here);
* IEEE-754 double ``+ - * /`` and ``sqrt`` (correctly rounded in both languages);
* our own ``log`` and ``cos``/``sin`` (polynomials evaluated in a fixed order), because the
  platform ``log``/``cos`` of V8 and of the C library may differ in the last bit.

Normal number ``k`` of the stream uses the pair ``j = k // 2``: two 53-bit uniforms ``u1, u2`` built
from the four 32-bit words ``word(seed, 4j .. 4j+3)``, then

    r = sqrt(-2 log u1),   z_{2j} = r cos(2 pi u2),   z_{2j+1} = r sin(2 pi u2)     (Box–Muller)

The generator only keeps a counter, so ``standard_normal(3); standard_normal(5)`` yields the same
eight numbers as ``standard_normal(8)``. Good for teaching labs; not a cryptographic or
research-grade generator (mulberry32 is a 32-bit hash).
"""

from __future__ import annotations

import math

import numpy as np

MASK32 = 0xFFFFFFFF
GOLDEN_GAMMA = 0x6D2B79F5  # mulberry32's Weyl increment
SEED_SALT = 0x9E3779B9  # key of the normal stream
UNIFORM_SALT = 0x85EBCA6B  # key of the uniform stream (independent of the normals)
TWO_POW_26 = 67108864.0
TWO_POW_53 = 9007199254740992.0
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that e * LN2_HI is exact for |e| < 2^11
LN2_LO = 1.90821492927058770002e-10
SQRT_HALF = 0.7071067811865476
TWO_PI = 6.283185307179586
MAX_NORMALS = 2**31  # counters are 32-bit: 4 words per pair of normals


def _mix32(t: np.ndarray) -> np.ndarray:
    """mulberry32's output hash of 32-bit words held in uint64 (all results masked to 32 bits)."""
    t = t & MASK32
    t = ((t ^ (t >> 15)) * (t | 1)) & MASK32  # Math.imul(t ^ t >>> 15, t | 1)
    t = t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & MASK32)) & MASK32)  # t ^= t + Math.imul(t ^ t >>> 7, t | 61)
    return (t ^ (t >> 14)) & MASK32


def words(seed: int, counters: np.ndarray, salt: int = SEED_SALT) -> np.ndarray:
    """32-bit words ``mix32(key + (c + 1) * 0x6D2B79F5)`` for counters c, ``key = mix32(seed ^ salt)``."""
    key = _mix32(np.array([(seed ^ salt) & MASK32], dtype=np.uint64))[0]
    c = counters.astype(np.uint64)
    return _mix32(key + (((c + np.uint64(1)) * np.uint64(GOLDEN_GAMMA)) & MASK32))


def _uniform53(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """53-bit uniform strictly inside (0, 1): ((hi >>> 5) * 2^26 + (lo >>> 6) + 0.5) / 2^53."""
    return ((hi >> 5).astype(np.float64) * TWO_POW_26 + (lo >> 6).astype(np.float64) + 0.5) / TWO_POW_53


def log(x: np.ndarray) -> np.ndarray:
    """Natural log for positive finite x from exact operations only (fdlibm-style reduction).

    x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1)/(m + 1), |s| < 0.172,
    by its odd series to s^23 (truncation < 1e-18 relative); log x = e ln2 + log m.
    """
    m, e = np.frexp(x)  # x = m 2^e, m in [0.5, 1)  (exact)
    small = m < SQRT_HALF
    m = np.where(small, m * 2.0, m)  # exact scaling by 2
    e = (e - small).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    p = 1.0 / 23.0
    for k in range(21, 0, -2):  # Horner in s^2 over 1/(2i+1)
        p = p * s2 + 1.0 / k
    log_m = 2.0 * s * p
    return (e * LN2_HI + log_m) + e * LN2_LO


def _sin_cos_small(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Taylor sin and cos for |a| <= pi/4, to a^21 and a^20 (truncation < 2e-18)."""
    a2 = a * a
    sn = np.full_like(a, 1.0)
    for k in range(21, 2, -2):  # sin a = a (1 - a^2/(2 3) (1 - a^2/(4 5) (...)))
        sn = 1.0 - a2 / ((k - 1) * k) * sn
    cs = np.full_like(a, 1.0)
    for k in range(20, 1, -2):  # cos a = 1 - a^2/(1 2) (1 - a^2/(3 4) (...))
        cs = 1.0 - a2 / ((k - 1) * k) * cs
    return a * sn, cs


def cos_sin_turns(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos 2 pi u, sin 2 pi u) for u in [0, 1), reducing u to an eighth of a turn exactly."""
    q = np.floor(u * 8.0)  # octant 0..7 (u * 8 is exact)
    q = np.minimum(q, 7.0)
    k = np.floor((q + 1.0) / 2.0)  # nearest quarter turn: 0..4
    r = u - k * 0.25  # exact: both are multiples of 2^-53 and |r| <= 1/8
    s, c = _sin_cos_small(r * TWO_PI)
    k = k.astype(np.int64) % 4
    cos = np.select([k == 0, k == 1, k == 2, k == 3], [c, -s, -c, s])
    sin = np.select([k == 0, k == 1, k == 2, k == 3], [s, c, -s, -c])
    return cos, sin


def normals_at(seed: int, index: np.ndarray) -> np.ndarray:
    """The normals with stream positions ``index`` (a pure function of seed and position)."""
    index = np.asarray(index, dtype=np.int64)
    pair = (index // 2).astype(np.uint64)
    w = words(seed, np.stack([4 * pair, 4 * pair + 1, 4 * pair + 2, 4 * pair + 3]))
    u1 = _uniform53(w[0], w[1])
    u2 = _uniform53(w[2], w[3])
    r = np.sqrt(-2.0 * log(u1))  # Box–Muller radius
    cos, sin = cos_sin_turns(u2)
    return np.where(index % 2 == 0, r * cos, r * sin)


class LabRandom:
    """Seedable generator shared with ``content/labs/shared/rng.js`` (same seed, same numbers).

    ``standard_normal(size)`` fills the requested shape in C order from the stream, like
    ``numpy.random.Generator.standard_normal``, so simulators written against numpy's generator
    accept this one unchanged.
    """

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        if not 0 <= int(seed) <= MASK32:
            raise ValueError(f"seed must be in [0, 2^32 - 1], got {seed}; reduce it modulo 2^32")
        self.seed = int(seed)
        self.position = 0  # index of the next normal in the stream
        self.uniform_position = 0  # index of the next uniform in its own stream

    def standard_normal(self, size: int | tuple[int, ...] | None = None) -> np.ndarray | float:
        """Next ``prod(size)`` standard normals, shaped ``size`` (a float when size is None)."""
        shape = () if size is None else (size,) if isinstance(size, int | np.integer) else tuple(size)
        if any(int(n) < 0 for n in shape):
            raise ValueError(f"size must be non-negative, got {size}")
        count = math.prod(int(n) for n in shape)
        if self.position + count > MAX_NORMALS:
            raise ValueError("the lab generator is exhausted (2^31 normals per seed); use another seed")
        z = normals_at(self.seed, np.arange(self.position, self.position + count))
        self.position += count
        return float(z[0]) if size is None else z.reshape(shape)

    def uniform(self, size: int) -> np.ndarray:
        """``size`` uniforms in (0, 1) from a second, independent stream (own key, own counter)."""
        if size < 0:
            raise ValueError(f"size must be non-negative, got {size}")
        index = np.arange(self.uniform_position, self.uniform_position + size, dtype=np.uint64)
        w = words(self.seed, np.stack([2 * index, 2 * index + 1]), UNIFORM_SALT)
        self.uniform_position += size
        return _uniform53(w[0], w[1])

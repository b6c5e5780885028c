// The brownian-motion lab's simulator against mlatlas.stochastic.brownian_motion, same seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, golden, moduleUrl } from './helpers.mjs';

const { LabRandom } = await import(moduleUrl('shared', 'rng.js'));
const core = await import(moduleUrl('brownian-motion', 'core.js'));
const G = golden('brownian');

for (const c of G.cases) {
  test(`seed ${c.seed}: the same arithmetic paths as Python, bit for bit`, () => {
    const A = c.arithmetic;
    const r = core.brownianMotion(new LabRandom(c.seed), c.num_paths, c.num_steps, c.t_max, A.drift, A.sigma, A.x0);
    assert.deepEqual(Array.from(r.t), A.t);
    assert.deepEqual(Array.from(r.w), A.w); // only + * sqrt: exactly equal
    assert.deepEqual(Array.from(r.x), A.x);
    assertClose(core.quadraticVariation(r.x, c.num_paths, c.num_steps + 1), A.qv, { rtol: 1e-15, atol: 0, what: 'qv' });
  });
  test(`seed ${c.seed}: the same geometric paths (exp to an ulp)`, () => {
    const g = c.geometric;
    const r = core.geometricBrownianMotion(new LabRandom(c.seed), c.num_paths, c.num_steps, c.t_max, g.mu, g.sigma, g.s0);
    assertClose(r.x, g.x, { rtol: 1e-14, atol: 0, what: 'GBM' }); // Math.exp vs libm exp: 1 ulp
  });
}

test('exact densities integrate to one', () => {
  for (const [kind, opts] of [['arithmetic', { drift: 0.3, sigma: 0.8, x0: 1 }], ['geometric', { mu: 0.1, sigma: 0.5, s0: 1 }]]) {
    let s = 0;
    const h = 0.001;
    for (let v = -20 + h / 2; v < 40; v += h) s += core.exactDensity(kind, v, 2.0, opts) * h;
    assert.ok(Math.abs(s - 1) < 1e-6, `${kind}: ${s}`);
  }
});

test('bad parameters are refused', () => {
  assert.throws(() => core.brownianMotion(new LabRandom(0), 0, 5), /num_paths/);
  assert.throws(() => core.brownianMotion(new LabRandom(0), 2, 5, -1), /t_max/);
  assert.throws(() => core.geometricBrownianMotion(new LabRandom(0), 2, 5, 1, 0.1, 0.2, 0), /s0/);
});

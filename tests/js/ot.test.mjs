// The distribution-morphing lab's core against mlatlas.transport.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, golden, moduleUrl } from './helpers.mjs';

const core = await import(moduleUrl('distribution-morphing', 'core.js'));
const G = golden('ot');

for (const c of G.cases) {
  const a = core.uniform(c.n);
  const b = core.uniform(c.m);
  const C = core.sqCost(c.x, c.y);
  test(`${c.n}x${c.m}: cost matrix, exact plan and cost`, () => {
    assertClose(C, c.cost_matrix, { rtol: 1e-14, atol: 1e-15, what: 'C' });
    const res = core.exactOT(a, b, C);
    assertClose([res.cost], [c.exact_cost], { rtol: 1e-12, atol: 1e-14, what: 'cost' });
    assertClose(res.plan, c.exact_plan, { rtol: 1e-9, atol: 1e-12, what: 'plan' }); // unique for generic points
  });
  for (const s of c.sinkhorn) {
    test(`${c.n}x${c.m}: log-domain Sinkhorn, eps=${s.eps}, ${s.iters} iterations`, () => {
      const res = core.sinkhornLog(a, b, C, s.eps, { maxIter: s.iters, tol: 0 });
      assert.ok(res.plan.every(Number.isFinite), 'plan stays finite at small eps');
      // same iteration in both languages: agreement to accumulated round-off (1e-9 relative)
      assertClose(res.plan, s.plan, { rtol: 1e-9, atol: 1e-13, what: 'plan' });
      assertClose([res.cost], [s.cost], { rtol: 1e-9, atol: 1e-13, what: 'cost' });
      assertClose(res.f, s.f, { rtol: 1e-9, atol: 1e-10, what: 'f' });
    });
  }
  test(`${c.n}x${c.m}: McCann interpolation at t=${c.mccann_t}`, () => {
    const plan = core.exactOT(a, b, C).plan;
    const d = core.displacement(c.x, c.y, plan, c.mccann_t);
    assertClose(d.points, c.mccann_points, { rtol: 1e-9, atol: 1e-12, what: 'points' });
    assertClose(d.mass, c.mccann_mass, { rtol: 1e-9, atol: 1e-12, what: 'mass' });
  });
}

test('the exact plan has the right marginals for unequal sizes and weights', () => {
  const x = [0, 0, 1, 0, 2, 1];
  const y = [0, 1, 3, 3];
  const a = Float64Array.from([0.5, 0.3, 0.2]);
  const b = Float64Array.from([0.6, 0.4]);
  const { plan } = core.exactOT(a, b, core.sqCost(x, y));
  for (let i = 0; i < 3; i++) assertClose([plan[2 * i] + plan[2 * i + 1]], [a[i]], { what: 'row' });
  assertClose([plan[0] + plan[2] + plan[4]], [b[0]], { what: 'column' });
});

test('bad input is refused', () => {
  assert.throws(() => core.exactOT(core.uniform(2), Float64Array.from([0.2, 0.2]), new Float64Array(4)), /equal mass/);
  assert.throws(() => core.sinkhornLog(core.uniform(2), core.uniform(2), new Float64Array(4), 0), /eps/);
  assert.throws(() => core.sinkhornLog(core.uniform(2), core.uniform(2), new Float64Array(4), NaN), /eps/);
});

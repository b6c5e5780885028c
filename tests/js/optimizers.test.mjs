// The gradient-descent lab's core against mlatlas.foundations.optimizers / surfaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, golden, moduleUrl } from './helpers.mjs';

const core = await import(moduleUrl('gradient-descent', 'core.js'));
const G = golden('optimizers');
// float64; 40 steps. Rosenbrock's valley amplifies ulp-level differences (Math.pow/cos vs libm),
// so the tolerance is 1e-9 relative rather than 1e-12.
const TOL = { rtol: 1e-9, atol: 1e-11 };

for (const c of G.cases) {
  test(`${c.optimizer} on ${c.surface}: 40-step trajectory`, () => {
    const hp = { lr: c.lr, momentum: c.momentum };
    const traj = core.trajectory(c.optimizer, c.surface, c.steps, hp, c.start);
    assertClose(traj.xs.flat(), c.xs.flat(), { ...TOL, what: 'iterates' });
    assertClose(traj.losses, c.losses, { ...TOL, what: 'losses' });
  });
}

test('every surface and optimiser the lab offers is checked', () => {
  const seen = new Set(G.cases.map((c) => `${c.surface}/${c.optimizer}`));
  for (const s of Object.keys(core.SURFACES)) for (const o of core.OPTIMIZERS) assert.ok(seen.has(`${s}/${o}`));
});

test('unknown names are refused', () => {
  assert.throws(() => core.trajectory('lion', 'quadratic', 3, { lr: 0.1 }), /unknown optimizer/);
  assert.throws(() => core.trajectory('sgd', 'moon', 3, { lr: 0.1 }), /unknown surface/);
});

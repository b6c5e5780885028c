// The neural-network lab's core against mlatlas.foundations.neural_networks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, golden, moduleUrl } from './helpers.mjs';

const { LabRandom } = await import(moduleUrl('shared', 'rng.js'));
const core = await import(moduleUrl('neural-network', 'core.js'));
const G = golden('mlp');
const TOL = { rtol: 1e-10, atol: 1e-12 }; // float64; Math.tanh/exp may differ from libm by an ulp

for (const c of G.cases) {
  test(`${c.activation} ${c.sizes.join('-')}: init, loss, gradients, 5 SGD steps`, () => {
    const rng = new LabRandom(c.seed);
    const params = core.initMlp(c.sizes, rng, c.activation);
    params.forEach((p, l) => {
      assert.deepEqual(Array.from(p.W), c.init[l].W, `init W${l} must be bit-identical`);
      assert.deepEqual(Array.from(p.b), c.init[l].b);
    });
    const x = rng.standardNormal(c.x.length);
    assert.deepEqual(Array.from(x), c.x, 'inputs rebuilt from the same seed');
    const B = c.y.length;
    const out = core.lossAndGradients(params, x, c.y, B, { activation: c.activation, l2: c.l2 });
    assertClose([out.loss], [c.loss], { ...TOL, what: 'loss' });
    assertClose(out.p, c.probs, { ...TOL, what: 'probs' });
    out.grads.forEach((g, l) => {
      assertClose(g.dW, c.grads[l].dW, { ...TOL, what: `dW${l}` });
      assertClose(g.db, c.grads[l].db, { ...TOL, what: `db${l}` });
    });
    const losses = [];
    for (let s = 0; s < c.steps; s++) {
      const o = core.lossAndGradients(params, x, c.y, B, { activation: c.activation, l2: c.l2 });
      losses.push(o.loss);
      core.sgdStep(params, o.grads, c.lr);
    }
    assertClose(losses, c.train_losses, { ...TOL, what: 'training losses' });
    params.forEach((p, l) => assertClose(p.W, c.final[l].W, { ...TOL, what: `final W${l}` }));
  });
}

test('bad hyperparameters are refused', () => {
  const params = core.initMlp([2, 3, 1], new LabRandom(0));
  assert.throws(() => core.sgdStep(params, params.map((p) => ({ dW: p.W, db: p.b })), 0), /learning rate/);
  assert.throws(() => core.initMlp([2, 0, 1], new LabRandom(0)), /positive integers/);
  assert.throws(() => core.lossAndGradients(params, new Float64Array(4), [0, 1], 2, { l2: -1 }), /l2/);
});

test('datasets are labelled and finite', () => {
  for (const name of ['circle', 'xor', 'spiral', 'blobs']) {
    const { x, y } = core.makeDataset(name, 50, new LabRandom(1));
    assert.ok(x.every(Number.isFinite));
    assert.ok(y.every((v) => v === 0 || v === 1));
  }
});

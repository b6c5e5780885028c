// The shared generator must reproduce mlatlas.labs.rng.LabRandom bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { golden, moduleUrl } from './helpers.mjs';

const { LabRandom, log, cosSinTurns } = await import(moduleUrl('shared', 'rng.js'));
const G = golden('rng');

test('normals and uniforms are bit-identical to Python for every seed', () => {
  for (const c of G.cases) {
    const rng = new LabRandom(c.seed);
    const normals = [...rng.standardNormal(7), ...rng.standardNormal(6)];
    assert.deepEqual(normals, c.normals, `seed ${c.seed}`); // exact equality, not a tolerance
    assert.deepEqual(Array.from(rng.uniform(5)), c.uniform, `seed ${c.seed} uniforms`);
  }
});

test('split calls give the same stream as one call', () => {
  const whole = new LabRandom(9).standardNormal(11);
  const r = new LabRandom(9);
  const parts = [...r.standardNormal(3), ...r.standardNormal(1), ...r.standardNormal(7)];
  assert.deepEqual(parts, Array.from(whole));
});

test('our log and cos/sin are accurate to a few ulps', () => {
  for (const x of [1e-300, 1e-20, 0.1, 0.5, 0.7071, 1, 1.5, 2, 10, 1e10]) {
    assert.ok(Math.abs(log(x) - Math.log(x)) <= 4e-16 * Math.max(1, Math.abs(Math.log(x))), `log ${x}`);
  }
  for (let k = 0; k < 64; k++) {
    const u = k / 64 + 1e-3;
    const [c, s] = cosSinTurns(u);
    assert.ok(Math.abs(c - Math.cos(2 * Math.PI * u)) < 1e-15 && Math.abs(s - Math.sin(2 * Math.PI * u)) < 1e-15);
  }
});

test('moments of 20000 normals are those of N(0, 1) (seeded, 5-sigma margins)', () => {
  const z = new LabRandom(2024).standardNormal(20000);
  const n = z.length;
  const mean = z.reduce((s, v) => s + v, 0) / n;
  const varr = z.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(varr - 1) < 5 * Math.sqrt(2 / n), `var ${varr}`);
});

test('bad seeds and sizes are refused', () => {
  assert.throws(() => new LabRandom(-1), /seed/);
  assert.throws(() => new LabRandom(1.5), /seed/);
  assert.throws(() => new LabRandom(2 ** 32), /seed/);
  assert.throws(() => new LabRandom(1).standardNormal(-2), /size/);
});

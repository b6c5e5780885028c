// The noise-to-data lab's network and samplers against mlatlas.labs.noise_to_data (golden vectors:
// the package runs TimeMLP, flow_matching.euler and ddpm.ddpm_step on the same exported weights and the
// same LabRandom noise, in float64).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LABS, assertClose, golden, moduleUrl } from './helpers.mjs';

const core = await import(moduleUrl('noise-to-data', 'core.js'));
const dir = join(LABS, 'noise-to-data');
const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const G = golden('noise-to-data');
// One forward pass: both sides float64 on the same float16 weights; only sin/cos/exp may differ in
// the last bit. Whole trajectories: DDPM's 1/sqrt(alpha) amplifies those bits over the steps.
const TOL = { rtol: 1e-11, atol: 1e-12 };
const PATH_TOL = { rtol: 1e-9, atol: 1e-10 };

function load(target) {
  const bin = readFileSync(join(dir, meta.targets[target].file));
  return core.loadTarget(meta, target, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
}

test('linear schedule, trailing timesteps and the respaced schedule', () => {
  const s = core.linearSchedule(1000, 1e-4, 0.02);
  assertClose(G.schedule.index.map((i) => s.alphaBar[i]), G.schedule.alpha_bar, { rtol: 1e-13, atol: 0, what: 'alpha_bar' });
  for (const [S, taus] of Object.entries(G.schedule.timesteps)) assert.deepEqual(core.trailingTimesteps(1000, Number(S)), taus);
  const short = core.respacedSchedule(s, core.trailingTimesteps(1000, 7));
  assertClose(short.betas, G.schedule.respaced_7.betas, { rtol: 1e-12, atol: 0, what: 'respaced betas' });
  assertClose(short.alphaBar, G.schedule.respaced_7.alpha_bar, { rtol: 1e-13, atol: 0, what: 'respaced alpha_bar' });
});

for (const c of G.cases) {
  const { nets, reference } = load(c.target);

  test(`${c.target}: weights decode and every network's forward pass`, () => {
    assertClose(reference.slice(0, 8), c.reference_head, { rtol: 0, atol: 0, what: 'reference points' });
    for (const [kind, outs] of Object.entries(c.forward)) {
      for (const o of outs) assertClose(core.forward(nets[kind], Float64Array.from(c.x), o.t), o.out, { ...TOL, what: `${kind} t=${o.t}` });
    }
  });

  test(`${c.target}: Euler trajectories of both velocity fields, from the same seeded noise`, () => {
    for (const f of c.flow) {
      const frames = core.runPath(core.flowSampler(nets[f.kind], { steps: f.steps, points: f.points, seed: f.seed }));
      assert.equal(frames.length, f.steps + 1);
      assertClose(frames.flatMap((fr) => Array.from(fr)), f.path, { ...PATH_TOL, what: `${f.kind} S=${f.steps}` });
      assertClose([core.straightness(frames)], [f.straightness], { ...PATH_TOL, what: 'straightness' });
    }
  });

  test(`${c.target}: DDPM ancestral trajectories with respaced steps, same noise stream`, () => {
    const schedule = core.linearSchedule(meta.schedule.num_steps, meta.schedule.beta_start, meta.schedule.beta_end);
    for (const d of c.ddpm) {
      const frames = core.runPath(core.ddpmSampler(nets.ddpm, schedule, { steps: d.steps, points: d.points, seed: d.seed }));
      assertClose(frames.flatMap((fr) => Array.from(fr)), d.path, { ...PATH_TOL, what: `ddpm S=${d.steps}` });
      assertClose([core.energyDistance(frames[d.steps], reference.slice(0, 100))], [d.energy], { rtol: 1e-9, atol: 1e-12, what: 'energy distance' });
      assertClose([core.nearestDistance(frames[d.steps], reference)], [d.nearest], { rtol: 1e-9, atol: 1e-12, what: 'nearest distance' });
    }
  });
}

test('both samplers start from the same noise', () => {
  const { nets } = load('moons');
  const s = core.linearSchedule();
  const a = core.flowSampler(nets.flow, { steps: 5, points: 10, seed: 3 });
  const b = core.ddpmSampler(nets.ddpm, s, { steps: 5, points: 10, seed: 3 });
  assert.deepEqual(Array.from(a.x), Array.from(b.x));
  assert.equal(a.time(), 0);
  assert.equal(b.time(), 0);
  while (!b.done) b.step();
  assert.equal(b.time(), 1);
});

test('half-precision decoding and bad arguments', () => {
  assert.equal(core.halfToFloat(0x3c00), 1);
  assert.equal(core.halfToFloat(0xc000), -2);
  assert.equal(core.halfToFloat(0x0001), 2 ** -24);
  assert.equal(core.halfToFloat(0x7bff), 65504);
  assert.throws(() => core.trailingTimesteps(1000, 0), /steps/);
  assert.throws(() => core.trailingTimesteps(1000, 1001), /steps/);
  assert.throws(() => core.loadTarget(meta, 'nope', new ArrayBuffer(0)), /unknown target/);
  assert.throws(() => core.decodeWeights(new ArrayBuffer(4), 'int4'), /dtype/);
});

test('a step done in chunks of particles gives exactly the whole step', () => {
  const { nets } = load('word');
  const s = core.linearSchedule();
  for (const make of [(o) => core.flowSampler(nets.ot_flow, o), (o) => core.ddpmSampler(nets.ddpm, s, o)]) {
    const opts = { steps: 4, points: 23, seed: 11 };
    const whole = core.runPath(make(opts));
    const parts = make(opts);
    const frames = [Float64Array.from(parts.x)];
    while (!parts.done) if (parts.advance(5)) frames.push(Float64Array.from(parts.x));
    assert.deepEqual(frames.map((f) => Array.from(f)), whole.map((f) => Array.from(f)));
  }
});

// The attention-heatmap lab's forward pass against mlatlas.transformers.toy_attention_model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LABS, assertClose, golden, moduleUrl } from './helpers.mjs';

const core = await import(moduleUrl('attention-heatmap', 'core.js'));
const dir = join(LABS, 'attention-heatmap');
const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const bin = readFileSync(join(dir, 'weights.bin'));
const model = core.loadModel(meta, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
const G = golden('attention');
const TOL = { rtol: 1e-10, atol: 1e-12 }; // both sides run float64 on the same float32 weights

for (const c of G.cases) {
  test(`"${c.text}" causal=${c.causal} tau=${c.temperature}: logits, attention, output`, () => {
    const ids = core.encode(model, c.text);
    assert.deepEqual(ids, c.ids);
    const res = core.forward(model, ids, { causal: c.causal, temperature: c.temperature });
    assertClose(res.logits, c.logits, { ...TOL, what: 'logits' });
    c.attention.forEach((layer, l) => layer.forEach((map, h) => {
      assertClose(res.attention[l][h], map, { ...TOL, what: `attention L${l} H${h}` });
    }));
    assert.equal(core.decodeOutput(model, res).text, c.output);
  });
}

test('the trained model reverses what it is given', () => {
  const res = core.forward(model, core.encode(model, 'hello'));
  assert.equal(core.decodeOutput(model, res).text, 'olleh');
});

test('empty, too long and unknown input explain themselves', () => {
  assert.throws(() => core.encode(model, ''), /at least one/);
  assert.throws(() => core.encode(model, 'abcdefghijklmnop'), /positions/);
  assert.throws(() => core.encode(model, 'Hi!'), /vocabulary/);
  assert.throws(() => core.forward(model, [1, 2], { temperature: 0 }), /temperature/);
});

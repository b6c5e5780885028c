// Shared helpers for the node --test suites of the lab cores.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const LABS = join(ROOT, 'content', 'labs');

export function golden(name) {
  return JSON.parse(readFileSync(join(here, 'golden', `${name}.json`), 'utf8'));
}

/** Elementwise |a - b| <= atol + rtol |b| (like numpy.testing.assert_allclose), with a useful message. */
export function assertClose(actual, expected, { rtol = 1e-12, atol = 1e-12, what = 'value' } = {}) {
  const a = Array.from(actual);
  const b = Array.from(expected);
  assert.equal(a.length, b.length, `${what}: length ${a.length} != ${b.length}`);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < a.length; k++) {
    const excess = Math.abs(a[k] - b[k]) - (atol + rtol * Math.abs(b[k]));
    if (!(excess <= 0) && (at < 0 || excess > worst)) {
      worst = excess;
      at = k;
    }
  }
  assert.ok(at < 0, `${what}: index ${at}: got ${a[at]}, expected ${b[at]} (rtol ${rtol}, atol ${atol})`);
}

export function moduleUrl(...parts) {
  return new URL(`file://${join(LABS, ...parts)}`).href;
}

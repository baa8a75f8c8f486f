/**
 * The lab's settings ⇄ URL query (web/src/settings.ts): a round trip keeps every field, lists
 * as repeated keys; a value a key does not take is an error naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SETTINGS,
  METHOD_PRESETS,
  applyPreset,
  settingsFromQuery,
  settingsToQuery,
  type LabSettings,
} from '../../web/src/settings.js';

test('settings survive the URL, lists as repeated keys', () => {
  const settings: LabSettings = {
    ...DEFAULT_SETTINGS,
    dataset: 'mnist',
    trainSize: 700,
    model: 'mlp:128,64',
    method: 'custom',
    regs: ['racecar:0.001@dense_1', 'per:0.01'],
    optimizer: 'cola-ud:h=0.3:gamma=1:tau=0',
    constraints: ['circle:0.05@dense_1', 'sphere:1@dense_2'],
    lr: 0.003,
    seed: 9,
  };
  const query = settingsToQuery(settings);
  assert.equal(new URLSearchParams(query).getAll('reg').length, 2);
  assert.deepEqual(settingsFromQuery(query), settings);
  assert.deepEqual(settingsFromQuery(''), DEFAULT_SETTINGS);
});

test('a preset writes its specs at the given λ', () => {
  const rrPer = METHOD_PRESETS.find((p) => p.name === 'rr+per')!;
  const settings = applyPreset(DEFAULT_SETTINGS, rrPer, 0.02);
  assert.deepEqual(settings.regs, ['racecar:0.02', 'per:0.02']);
  assert.equal(settings.method, 'rr+per');
  assert.equal(settings.lambda, 0.02);
});

test('bad URL values are errors naming the key', () => {
  assert.throws(() => settingsFromQuery('lr=fast'), /lr=fast is not a number/);
  assert.throws(() => settingsFromQuery('seed='), /seed= is not a number/);
  assert.throws(
    () => settingsFromQuery('dataset=cifar'),
    /dataset=cifar is not one of peak, mnist, images/,
  );
});

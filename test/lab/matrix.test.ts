import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandMatrix, parseMethod, splitMethodList } from '../../src/lab/matrix.js';

test('method lists keep layer lists after @ together', () => {
  assert.deepEqual(splitMethodList('std,ort:0.1,dr:cosine:1e-2@dense_1,dense_2,racecar:1e-5'), [
    'std',
    'ort:0.1',
    'dr:cosine:1e-2@dense_1,dense_2',
    'racecar:1e-5',
  ]);
});

test('a | in the weight expands a grid, + combines terms', () => {
  assert.deepEqual(
    parseMethod('per:1e-5|1e-4@dense_1').map((m) => m.regs),
    [['per:1e-5@dense_1'], ['per:1e-4@dense_1']],
  );
  assert.deepEqual(
    parseMethod('per:1e-4+l2act:1e-5|1e-3').map((m) => m.label),
    ['per:1e-4+l2act:1e-5', 'per:1e-4+l2act:1e-3'],
  );
  assert.deepEqual(parseMethod('std'), [{ label: 'std', regs: [] }]);
  assert.deepEqual(
    parseMethod('racecar:sum|mean:1e-5|1e-4').map((m) => m.label),
    ['racecar:sum:1e-5', 'racecar:sum:1e-4', 'racecar:mean:1e-5', 'racecar:mean:1e-4'],
  );
  assert.throws(() => parseMethod('racecar:1e-5+'), /bad method/);
  assert.throws(() => parseMethod('racecar:1e-5|'), /empty alternative/);
});

test('the matrix has one cell per method and seed, each transfer after its run', () => {
  const base = {
    dataset: 'peak',
    model: 'linear',
    epochs: 1,
    batchSize: 10,
    optimizer: 'adam',
    lr: 1e-3,
  };
  const cells = expandMatrix({
    base,
    methods: [...parseMethod('std'), ...parseMethod('ort:0.1')],
    seeds: [1, 2],
    transfer: { variant: 'rotate:30', epochs: 1 },
  });
  assert.equal(cells.length, 8);
  assert.deepEqual(new Set(cells.map((c) => c.id)).size, 8);
  for (const cell of cells.filter((c) => c.phase === 'transfer')) {
    const parent = cells.findIndex((c) => c.id === cell.after);
    assert.ok(parent >= 0 && parent < cells.indexOf(cell));
    assert.equal(cell.config.transfer, 'rotate:30');
    assert.equal(cell.config.seed, cells[parent].config.seed);
  }
  assert.throws(
    () =>
      expandMatrix({ base, methods: [...parseMethod('std'), ...parseMethod('std')], seeds: [1] }),
    /appears twice/,
  );
});

/** One table model: every format from the same rows; CSV quoting round-trips awkward labels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, renderTable, type Table } from '../../src/core/table.js';

const TABLE: Table = {
  header: ['method', 'accuracy', 'note'],
  rows: [
    ['dr:cosine:1e-2@dense_1,dense_2', 0.8418, 'a "quoted" word'],
    ['std', 0.5, undefined],
    ['per|l2', 1e-7, 'line\nbreak'],
  ],
};

test('csv quotes commas, quotes and line breaks, and parses back cell for cell', () => {
  const csv = renderTable(TABLE, 'csv');
  assert.match(
    csv,
    /^method,accuracy,note\r\n"dr:cosine:1e-2@dense_1,dense_2",0\.8418,"a ""quoted"" word"\r\n/,
  );
  assert.deepEqual(parseCsv(csv), [
    ['method', 'accuracy', 'note'],
    ['dr:cosine:1e-2@dense_1,dense_2', '0.8418', 'a "quoted" word'],
    ['std', '0.5', ''],
    ['per|l2', '1e-7', 'line\nbreak'],
  ]);
});

test('markdown escapes pipes; html escapes markup; text aligns columns', () => {
  const markdown = renderTable(TABLE, 'markdown').split('\n');
  assert.equal(markdown[0], '| method | accuracy | note |');
  assert.equal(markdown[1], '|---|---|---|');
  assert.equal(markdown[4], '| per\\|l2 | 1e-7 | line break |');
  const html = renderTable({ header: ['a<b'], rows: [['"x" & y']] }, 'html');
  assert.equal(
    html,
    '<table><thead><tr><th>a&lt;b</th></tr></thead><tbody><tr><td>&quot;x&quot; &amp; y</td></tr></tbody></table>',
  );
  const text = renderTable(
    {
      header: ['m', 'value'],
      rows: [
        ['long name', 1],
        ['s', 22],
      ],
    },
    'text',
  ).split('\n');
  assert.deepEqual(text, ['m          value', '---------  -----', 'long name  1', 's          22']);
});

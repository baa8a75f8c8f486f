import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { Random } from '../../src/core/random.js';
import { expandMatrix, type ExperimentConfig } from '../../src/lab/matrix.js';
import { resultsTable, type CellOutcome } from '../../src/lab/results.js';
import { buildModel } from '../../src/models/zoo.js';
import type { EpochMetrics } from '../../src/train/trainer.js';
import {
  buildReport,
  chartSpec,
  collectReportInput,
  informationPlaneRows,
  svgToPng,
  renderSvg,
} from '../../src/report/index.js';
import { reportAction } from '../../src/cli/commands/report.js';
import { useBackend } from '../support.js';
import { fileSystemHandler } from '../../src/models/io.js';

let root: string;
before(async () => {
  await useBackend();
  root = await mkdtemp(path.join(tmpdir(), 'reglab-report-'));
});
after(() => rm(root, { recursive: true, force: true }));

const experiment: ExperimentConfig = {
  base: {
    dataset: 'peak',
    trainSize: 20,
    testSize: 10,
    model: 'mlp:6',
    epochs: 2,
    batchSize: 10,
    optimizer: 'adam',
    lr: 1e-3,
    track: ['mi', 'activations'],
  },
  methods: [
    { label: 'std', regs: [] },
    { label: 'ort:0.1', regs: ['ort:0.1'] },
  ],
  seeds: [1, 2],
};

/** A fabricated information-plane value: distinct per method, seed, layer, epoch and coordinate. */
const miValue = (method: number, seed: number, layer: number, epoch: number, ity: boolean) =>
  method + 0.1 * seed + 2 * layer + 0.5 * epoch + (ity ? 0.25 : 0);

function epochMetrics(
  method: number,
  seed: number,
  epoch: number,
  withMonitors: boolean,
): EpochMetrics {
  const monitors: Record<string, number> = {};
  if (withMonitors) {
    ['dense_1', 'dense_2'].forEach((layer, l) => {
      monitors[`mi/${layer}/ixt`] = miValue(method, seed, l, epoch, false);
      monitors[`mi/${layer}/ity`] = miValue(method, seed, l, epoch, true);
      monitors[`activations/${layer}/mean`] = 0.1 * epoch;
      monitors[`activations/${layer}/var`] = 1 / epoch;
      monitors[`activations/${layer}/sw1`] = 0.2;
    });
  }
  return {
    epoch,
    loss: 1 / epoch + method,
    task: 1 / epoch,
    accuracy: 0.5 + 0.1 * epoch,
    terms: {},
    valLoss: 1.1 / epoch,
    valAccuracy: 0.5 + 0.05 * epoch + 0.01 * seed,
    monitors,
    seconds: 0.1,
  };
}

/** Writes an experiment folder like compare's (run folders with config, metrics, model, result), without training. */
async function fabricateExperiment(
  dir: string,
  config: ExperimentConfig,
  withMonitors = true,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'experiment.json'), JSON.stringify(config));
  const outcomes: CellOutcome[] = [];
  for (const cell of expandMatrix(config)) {
    const runDir = path.join(dir, cell.id);
    await mkdir(runDir, { recursive: true });
    const methodIndex = config.methods.findIndex((m) => m.label === cell.method);
    await writeFile(path.join(runDir, 'config.json'), JSON.stringify(cell.config));
    const lines = [1, 2].map((epoch) =>
      JSON.stringify(epochMetrics(methodIndex, cell.seed, epoch, withMonitors)),
    );
    await writeFile(path.join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const model = buildModel('mlp:6', {
      inputShape: [28, 28, 1],
      numClasses: 2,
      rng: new Random(cell.seed),
    });
    await model.save(fileSystemHandler(runDir));
    model.dispose();
    const result = {
      testLoss: 0.5,
      testAccuracy: 0.9 + 0.01 * cell.seed + 0.02 * methodIndex,
      trainAccuracy: 0.95,
      epochs: 2,
      seconds: 1,
      backend: 'cpu',
      history: [],
    };
    await writeFile(path.join(runDir, 'result.json'), JSON.stringify(result));
    outcomes.push({ cell, status: 'done', result });
  }
  await writeFile(
    path.join(dir, 'results.json'),
    JSON.stringify({ table: resultsTable(outcomes, config), runs: [] }),
  );
}

/** A stand-in reverse pass (racecar's is tested in test/racecar): the negated input. */
const negate = (_model: unknown, x: tf.Tensor) => tf.neg(x);

function decodePng(file: string): PNG {
  return PNG.sync.read(readFileSync(file));
}

test('an experiment report: self-contained HTML with the table and six figures, Markdown linking PNGs that decode', async () => {
  const dir = path.join(root, 'exp');
  await fabricateExperiment(dir, experiment);
  const before = tf.memory().numTensors;
  const outcome = await buildReport(dir, { reconstruct: negate });
  assert.equal(tf.memory().numTensors, before, 'the report disposes its models and tensors');
  assert.deepEqual(
    outcome.figures.map((f) => f.id),
    [
      'curves',
      'information-plane',
      'activations',
      'spectra',
      'singular-vectors',
      'reconstructions',
    ],
  );
  assert.deepEqual(outcome.notes, []);

  const html = await readFile(path.join(dir, 'report', 'index.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external src/href');
  assert.doesNotMatch(html, /<script|<link/i);
  assert.equal(html.match(/<figure /g)?.length, 6);
  assert.equal(html.match(/src="data:image\/(svg\+xml|png);base64,/g)?.length, 6);
  for (const cell of ['<td>std</td>', '<td>ort:0.1</td>', '<td>(baseline)</td>'])
    assert.ok(html.includes(cell), `table holds ${cell}`);
  // The embedded SVG of a chart decodes to an SVG document.
  const svg = Buffer.from(
    /data:image\/svg\+xml;base64,([^"]+)/.exec(html)![1],
    'base64',
  ).toString();
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

  const markdown = await readFile(outcome.markdown, 'utf8');
  const linked = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.equal(linked.length, 6);
  for (const file of linked) {
    const png = decodePng(path.join(dir, 'report', file));
    assert.ok(png.width > 20 && png.height > 20, `${file} is ${png.width}×${png.height}`);
  }
  assert.deepEqual(
    markdown
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('|---'))
      .map((line) => line.split('|')[1].trim())
      .filter((first) => ['method', 'std', 'ort:0.1'].includes(first)),
    ['method', 'std', 'ort:0.1'],
  );
  // Reconstructions: a row of 8 inputs and one row per method, 28×28 tiles upscaled 2× with 1 px padding.
  const grid = decodePng(path.join(dir, 'report', 'reconstructions.png'));
  assert.equal(grid.height, 2 * (3 * 29 + 1));
  assert.equal(grid.width, 2 * (8 * 29 + 1));
});

test('the information plane averages every layer and epoch over seeds', async () => {
  const input = await collectReportInput(path.join(root, 'exp'));
  const rows = informationPlaneRows(input.runs);
  assert.equal(rows.length, 2 * 2 * 2, 'methods × layers × epochs');
  const point = rows.find((r) => r.method === 'ort:0.1' && r.layer === 'dense_2' && r.epoch === 2)!;
  const mean = (ity: boolean) => (miValue(1, 1, 1, 2, ity) + miValue(1, 2, 1, 2, ity)) / 2;
  assert.ok(Math.abs((point.ixt as number) - mean(false)) < 1e-12);
  assert.ok(Math.abs((point.ity as number) - mean(true)) < 1e-12);
});

test('a run folder gets a report too; missing monitors and models become notes', async () => {
  const dir = path.join(root, 'bare');
  await fabricateExperiment(
    dir,
    { ...experiment, methods: [experiment.methods[0]], seeds: [3] },
    false,
  );
  const runDir = path.join(dir, 'std-s3');
  await rm(path.join(runDir, 'model.json'));
  const outcome = await buildReport(runDir, { reconstruct: null });
  assert.deepEqual(
    outcome.figures.map((f) => f.id),
    ['curves'],
  );
  assert.ok(outcome.notes.some((n) => /--track mi/.test(n)));
  assert.ok(outcome.notes.some((n) => /the model of std-s3 left out/.test(n)));
  const html = await readFile(outcome.html, 'utf8');
  assert.ok(
    html.includes('<td>std</td>') && html.includes('93.00'),
    "the run's test accuracy is in the table",
  );
  await assert.rejects(buildReport(root), /neither an experiment folder nor a run folder/);
});

test('chart PNGs carry text: the same chart with and without titles differs in dark pixels', async () => {
  // resvg draws no text without a font: a titled chart must have more dark pixels than an untitled one.
  const rows = [
    { x: 1, y: 1, m: 'a' },
    { x: 2, y: 3, m: 'a' },
  ];
  const dark = async (title: string | null) => {
    const spec = chartSpec(rows, {
      mark: 'line',
      x: { field: 'x', title },
      y: { field: 'y', title },
    });
    const png = PNG.sync.read(svgToPng(await renderSvg(spec)));
    let count = 0;
    for (let i = 0; i < png.data.length; i += 4)
      if (png.data[i] < 100 && png.data[i + 3] > 0) count++;
    return count;
  };
  assert.ok((await dark('a long axis title with many letters')) > (await dark(null)) + 200);
});

test('reglab report with the default reverse pass (racecar) writes the reconstructions of every method', async () => {
  const lines: string[] = [];
  const out = path.join(root, 'cli-report');
  const outcome = await reportAction(
    path.join(root, 'exp'),
    { backend: 'cpu', out, reconstructions: 4 },
    (line) => lines.push(line),
  );
  assert.ok(
    outcome.figures.some((f) => f.id === 'reconstructions'),
    outcome.notes.join('; '),
  );
  const grid = decodePng(path.join(out, 'reconstructions.png'));
  assert.equal(grid.width, 2 * (4 * 29 + 1), '4 images per row');
  assert.ok(lines.some((line) => line === `open ${path.join(out, 'index.html')}`));
});

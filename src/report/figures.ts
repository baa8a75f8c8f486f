/**
 * The report's figures. Two kinds, one shape ({@link Figure}):
 *
 * - charts of the per-epoch metrics (metrics.jsonl), averaged over seeds per method: loss and
 *   accuracy curves, the information plane (monitor `mi`), activation statistics (monitor
 *   `activations`); and of the trained weights: singular-value spectra per layer;
 * - image grids of the trained models: first-layer singular vectors and reverse-pass
 *   reconstructions (racecar's `reconstruct`).
 *
 * Every chart goes through {@link renderChart} with a different {@link ChartOptions}; every
 * metric series through {@link epochMeans}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { autoUpscale, imagesFromArray, scaleImage, type Image } from '../analysis/images.js';
import { encodePng } from '../analysis/png.js';
import { firstLayerSingularImages, weightSpectrum } from '../analysis/svd.js';
import { datasetSize, subset, type Dataset } from '../data/dataset.js';
import type { EpochMetrics } from '../train/trainer.js';
import { renderChart, type ChartOptions, type Row } from './charts.js';
import type { ReportRun } from './collect.js';

/** One figure of the report: a PNG (and, for charts, the SVG it was drawn from). */
export interface Figure {
  /** File stem, e.g. `curves` → `curves.png`. */
  id: string;
  title: string;
  /** What the figure shows and how to read it (Markdown-free text). */
  caption: string;
  png: Buffer;
  svg?: string;
}

/** A reverse pass: inputs `x` → a tensor shaped like `x`, owned by the caller (racecar's `reconstruct`). */
export type ReconstructFunction = (model: tfl.LayersModel, x: tf.Tensor) => tf.Tensor;

/** A method's trained model (the representative run's). */
export interface MethodModel {
  method: string;
  model: tfl.LayersModel;
}

/** The series name of a run: its method, marked when it is a transfer fine-tune. */
function seriesOf(run: ReportRun): string {
  return run.phase === 'transfer' ? `${run.method} (transfer)` : run.method;
}

/**
 * Per series (method and phase), per epoch and per key, the mean over seeds of the numbers
 * `pick` reads from each epoch's metrics (non-finite values are skipped).
 */
export function epochMeans(
  runs: readonly ReportRun[],
  pick: (metrics: EpochMetrics) => Record<string, number | undefined>,
): { series: string; epoch: number; key: string; value: number }[] {
  const sums = new Map<
    string,
    { series: string; epoch: number; key: string; total: number; count: number }
  >();
  for (const run of runs) {
    for (const metrics of run.metrics) {
      for (const [key, value] of Object.entries(pick(metrics))) {
        if (value === undefined || !Number.isFinite(value)) continue;
        const id = JSON.stringify([seriesOf(run), metrics.epoch, key]);
        const entry = sums.get(id) ?? {
          series: seriesOf(run),
          epoch: metrics.epoch,
          key,
          total: 0,
          count: 0,
        };
        entry.total += value;
        entry.count += 1;
        sums.set(id, entry);
      }
    }
  }
  return [...sums.values()].map(({ series, epoch, key, total, count }) => ({
    series,
    epoch,
    key,
    value: total / count,
  }));
}

/** Monitor values whose key matches `pattern` (groups: the key parts). */
function monitorParts(metrics: EpochMetrics, pattern: RegExp): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics.monitors ?? {}).filter(([key]) => pattern.test(key)),
  );
}

/** Rows of the loss and accuracy curves. */
export function curveRows(runs: readonly ReportRun[]): Row[] {
  return epochMeans(runs, (m) => ({
    'train loss': m.loss,
    'test loss': m.valLoss,
    'train accuracy': m.accuracy,
    'test accuracy': m.valAccuracy,
  })).map(({ series, epoch, key, value }) => ({ method: series, epoch, metric: key, value }));
}

const MI_KEY = /^mi\/(.+)\/(ixt|ity)$/;

/** Rows of the information plane: per method, layer and epoch, I(X;T) and I(T;Y) averaged over seeds. */
export function informationPlaneRows(runs: readonly ReportRun[]): Row[] {
  const points = new Map<string, Row>();
  for (const { series, epoch, key, value } of epochMeans(runs, (m) => monitorParts(m, MI_KEY))) {
    const [, layer, coordinate] = MI_KEY.exec(key)!;
    const id = JSON.stringify([series, layer, epoch]);
    const point = points.get(id) ?? { method: series, layer, epoch };
    point[coordinate] = value;
    points.set(id, point);
  }
  return [...points.values()].filter((p) => p.ixt !== undefined && p.ity !== undefined);
}

const ACTIVATION_KEY = /^activations\/(.+)\/(mean|var|sw1)$/;
const STAT_NAMES: Record<string, string> = {
  mean: 'mean',
  var: 'variance',
  sw1: 'sliced W1 to N(0, I)',
};

/** Rows of the activation statistics: per method, site, statistic and epoch. */
export function activationRows(runs: readonly ReportRun[]): Row[] {
  return epochMeans(runs, (m) => monitorParts(m, ACTIVATION_KEY)).map(
    ({ series, epoch, key, value }) => {
      const [, site, stat] = ACTIVATION_KEY.exec(key)!;
      return { method: series, site, statistic: STAT_NAMES[stat], epoch, value };
    },
  );
}

/** Rows of the singular-value spectra: per method, weight layer and rank. */
export function spectrumRows(models: readonly MethodModel[]): Row[] {
  return models.flatMap(({ method, model }) =>
    weightSpectrum(model).flatMap((layer) =>
      layer.singularValues.map((sigma, k) => ({ method, layer: layer.name, rank: k + 1, sigma })),
    ),
  );
}

/** A chart figure, or undefined when there is nothing to draw. */
async function chartFigure(
  id: string,
  title: string,
  caption: string,
  rows: Row[],
  options: ChartOptions,
): Promise<Figure | undefined> {
  if (rows.length === 0) return undefined;
  const { svg, png } = await renderChart(rows, options);
  return { id, title, caption, svg, png };
}

const method = { field: 'method', title: 'method' };

/** Loss and accuracy per epoch, one line per method (mean over seeds). */
export function curvesFigure(runs: readonly ReportRun[]): Promise<Figure | undefined> {
  return chartFigure(
    'curves',
    'Loss and accuracy',
    'Per epoch, mean over seeds: training loss (task + weighted terms) and accuracy on the training batches, and loss and accuracy on the test set.',
    curveRows(runs),
    {
      mark: 'line',
      x: { field: 'epoch', integer: true },
      y: { field: 'value', title: null },
      color: method,
      column: {
        field: 'metric',
        sort: ['train loss', 'test loss', 'train accuracy', 'test accuracy'],
      },
      independentY: true,
      width: 170,
      height: 140,
    },
  );
}

/** The information plane (the racecar paper's Fig. 2): one panel per method, colour = layer, lines along epochs. */
export function informationPlaneFigure(runs: readonly ReportRun[]): Promise<Figure | undefined> {
  return chartFigure(
    'information-plane',
    'Information plane',
    'Per method (panel) and layer (colour), I(X;T) against I(T;Y) in bits on the held-out monitor batch at the end of every epoch (mean over seeds); the line follows the epochs. Up is more information about the label, left is more compression of the input.',
    informationPlaneRows(runs),
    {
      mark: 'line',
      x: { field: 'ixt', title: 'I(X;T) bits' },
      y: { field: 'ity', title: 'I(T;Y) bits' },
      color: { field: 'layer', type: 'ordinal', scheme: 'viridis' },
      order: 'epoch',
      column: method,
      width: 200,
      height: 180,
    },
  );
}

/** Activation mean, variance and sliced W1 per site over epochs. */
export function activationFigure(runs: readonly ReportRun[]): Promise<Figure | undefined> {
  return chartFigure(
    'activations',
    'Activation statistics',
    'Per layer (column) and statistic (row), over epochs, mean over seeds: the mean activation, the mean per-unit variance, and the sliced Wasserstein-1 distance to N(0, I) on the held-out monitor batch.',
    activationRows(runs),
    {
      mark: 'line',
      x: { field: 'epoch', integer: true },
      y: { field: 'value', title: null },
      color: method,
      column: { field: 'site' },
      row: { field: 'statistic' },
      independentY: true,
      width: 160,
      height: 110,
    },
  );
}

/** Singular values of every weight layer, one panel per layer, one line per method. */
export function spectraFigure(models: readonly MethodModel[]): Promise<Figure | undefined> {
  return chartFigure(
    'spectra',
    'Singular-value spectra',
    'Singular values σ_1 ≥ σ_2 ≥ … of every weight layer (M = Wᵀ; convolutions per patch), from the lowest-seed model of each method.',
    spectrumRows(models),
    {
      mark: 'line',
      x: { field: 'rank', title: 'rank k', integer: true },
      y: { field: 'sigma', title: 'σ_k' },
      color: method,
      column: { field: 'layer' },
      points: false,
      independentX: true,
      independentY: true,
      width: 180,
      height: 140,
    },
  );
}

/** Tiles per row of the image grids. */
const GRID_COLUMNS = 8;

/** One PNG grid, one row per group (image sizes must match), scaled to at least 40 px tiles. */
function gridFigure(
  id: string,
  title: string,
  caption: string,
  rowsOfImages: Image[][],
): Figure | undefined {
  const images = rowsOfImages.flatMap((row) => row.slice(0, GRID_COLUMNS));
  if (images.length === 0) return undefined;
  const columns = Math.min(GRID_COLUMNS, Math.max(...rowsOfImages.map((row) => row.length)));
  const png = encodePng(images, {
    columns,
    scale: 'clip01',
    upscale: autoUpscale(images[0], 40),
    background: 1,
  });
  return { id, title, caption, png };
}

/** Each row padded to the full width with blank tiles, so rows line up with methods. */
function padRow(row: Image[], like: Image): Image[] {
  const blank = { ...like, data: new Float32Array(like.data.length).fill(1) };
  return [...row, ...Array.from({ length: Math.max(0, GRID_COLUMNS - row.length) }, () => blank)];
}

/** The first weight layer's input-space singular vectors σ_1…σ_8 per method (rows). */
export function singularImagesFigure(models: readonly MethodModel[]): Figure | undefined {
  const rows = models.map(({ model }) =>
    firstLayerSingularImages(model, undefined, 'symmetric').images.slice(0, GRID_COLUMNS),
  );
  if (rows.length === 0 || rows[0].length === 0) return undefined;
  const order = models.map((m) => m.method).join(', ');
  return gridFigure(
    'singular-vectors',
    'First-layer singular vectors',
    `Right singular vectors of the first weight layer's M = Wᵀ in input space, largest σ left; grey = 0, white/black = ±max. Rows: ${order}.`,
    rows.map((row) => padRow(row, rows[0][0])),
  );
}

/** The first `count` test images (top row) and every method's reverse-pass reconstruction of them (one row each). */
export async function reconstructionFigure(
  models: readonly MethodModel[],
  test: Dataset,
  reconstruct: ReconstructFunction,
  count = GRID_COLUMNS,
): Promise<Figure | undefined> {
  if (models.length === 0 || datasetSize(test) === 0) return undefined;
  const shown = subset(test, Math.min(count, datasetSize(test)));
  const n = datasetSize(shown);
  const rows: Image[][] = [imagesFromArray(shown.x, shown.sampleShape, n)];
  const x = tf.tensor(shown.x, [n, ...shown.sampleShape]);
  try {
    for (const { model } of models) {
      const reconstruction = reconstruct(model, x);
      const values = await reconstruction.data();
      reconstruction.dispose();
      rows.push(imagesFromArray(values, shown.sampleShape, n));
    }
  } finally {
    x.dispose();
  }
  // Each tile stretched to its own range: d'_1 has no fixed scale.
  const stretched = rows.map((row) =>
    row.map((image) => ({ ...image, data: scaleImage(image, 'minmax') })),
  );
  return gridFigure(
    'reconstructions',
    'Reverse-pass reconstructions',
    `Top row: test images; below, one row per method (${models.map((m) => m.method).join(', ')}): the reverse pass d'_1 from the network's output back to the input (racecar's reconstruct), each tile stretched to its own range. Readable digits mean the network kept the information of its input.`,
    stretched,
  );
}

/**
 * `reglab svd --run runs/NAME --out DIR`: the singular values of every weight layer, the first
 * layer's input-space singular vectors as images, and how far each of them lies in the span of
 * the training inputs (racecar's SVD analysis; the maths is in docs/analysis.md).
 *
 * Writes DIR/svd.json and DIR/singular-vectors.png and prints a short table.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { check } from '../../core/errors.js';
import { datasetSize, sampleLength } from '../../data/dataset.js';
import { autoUpscale, IMAGE_SCALES, type ImageScale } from '../../analysis/images.js';
import { writePngGrid } from '../../analysis/png.js';
import {
  firstLayerSingularImages,
  projectionNorm,
  spanBasis,
  weightSpectrum,
} from '../../analysis/svd.js';
import { checkOutputFolder, writeFileAtomic } from '../../core/fs.js';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { addBackendOption, pathFlag, positiveInt } from '../options.js';
import { openRunFolder, runFolderData } from '../../lab/run-folder.js';

/** Flags of `reglab svd`. */
export interface SvdFlags {
  run: string;
  out: string;
  /** TF.js backend; left unset, the current one is used (tests select theirs). */
  backend?: BackendName;
  /** Comma-separated layer names (default: every Dense/Conv layer). */
  layers?: string;
  /** First N training inputs spanning the data subspace (default 1000). */
  maxSamples?: number;
  /** Singular images in the grid, largest σ first (default: all). */
  images?: number;
  scale?: ImageScale;
  upscale?: number;
}

/** One first-layer singular vector as `svd.json` lists it (in grid order). */
export interface SingularVectorEntry {
  /** Position of the tile in the PNG grid (row-major, 0-based); absent when not drawn. */
  tile?: number;
  /** Position in the descending order of σ (0 = largest). */
  rank: number;
  sigma: number;
  /**
   * ‖P v‖ for the unit vector v and the projector P onto the span of the training inputs
   * (absent when the first layer is a convolution: its vectors are patches, not inputs).
   */
  projection?: number;
}

/** What `svd.json` holds. */
export interface SvdReport {
  run: string;
  layers: {
    name: string;
    className: string;
    kernelShape: number[];
    matrixShape: [number, number];
    singularValues: number[];
  }[];
  firstLayer: {
    layer: string;
    imageShape: [number, number, number];
    image: string;
    columns: number;
    trainingSamples: number;
    /** Dimension of the span of the training inputs (absent for a conv first layer). */
    spanRank?: number;
    note?: string;
    vectors: SingularVectorEntry[];
  };
}

const GRID_FILE = 'singular-vectors.png';
const PATCH_NOTE =
  'the first weight layer is a convolution: its singular vectors are kernel-sized patches, so no projection onto whole inputs';

function parseLayers(text?: string): string[] | undefined {
  const names = text
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names && names.length > 0 ? names : undefined;
}

/** σ values within 10% of 1: the directions racecar training makes norm-preserving. */
function countNearOne(sigmas: readonly number[]): number {
  return sigmas.filter((sigma) => Math.abs(sigma - 1) <= 0.1).length;
}

const fixed = (value: number, width: number) =>
  (Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(2)
    : value.toFixed(4)
  ).padStart(width);

/** The table printed after the analysis. */
export function svdTable(report: SvdReport, maxRows = 10): string[] {
  const lines = [
    `${'layer'.padEnd(12)}${'W [in×out]'.padStart(12)}${'σ_max'.padStart(11)}${'σ_min'.padStart(11)}${'σ≈1 (±10%)'.padStart(12)}`,
  ];
  for (const layer of report.layers) {
    const sigmas = layer.singularValues;
    const shape = `${layer.matrixShape[0]}×${layer.matrixShape[1]}`;
    lines.push(
      `${layer.name.padEnd(12)}${shape.padStart(12)}${fixed(sigmas[0], 11)}${fixed(sigmas[sigmas.length - 1], 11)}${String(countNearOne(sigmas)).padStart(12)}`,
    );
  }
  const first = report.firstLayer;
  if (first.spanRank === undefined) return [...lines, '', `${first.layer}: ${first.note}`];
  const shown = [...first.vectors]
    .sort((a, b) => (b.projection ?? 0) - (a.projection ?? 0))
    .slice(0, maxRows);
  lines.push(
    '',
    `${first.layer}: input-space singular vectors vs the span of ${first.trainingSamples} training inputs (rank ${first.spanRank});` +
      ` ${shown.length} of ${first.vectors.length} with the largest projection:`,
    `${'rank'.padStart(6)}${'σ'.padStart(11)}${'projection'.padStart(12)}`,
    ...shown.map(
      (v) =>
        `${String(v.rank).padStart(6)}${fixed(v.sigma, 11)}${(v.projection ?? 0).toFixed(4).padStart(12)}`,
    ),
  );
  return lines;
}

/** The `svd` action, exported for tests. */
export async function svdAction(
  flags: SvdFlags,
  print: (line: string) => void = console.log,
): Promise<SvdReport> {
  const scale = flags.scale ?? 'minmax';
  check(
    IMAGE_SCALES.includes(scale),
    `unknown --scale ${scale}`,
    `use one of ${IMAGE_SCALES.join(', ')}`,
  );
  const maxSamples = flags.maxSamples ?? 1000;
  check(
    Number.isInteger(maxSamples) && maxSamples > 0,
    `--max-samples ${flags.maxSamples} is not a positive integer`,
  );
  check(
    flags.images === undefined || (Number.isInteger(flags.images) && flags.images > 0),
    `--images ${flags.images} is not a positive integer`,
  );
  await checkOutputFolder(flags.out);
  if (flags.backend) await selectBackend(flags.backend, { log: print });
  const run = await openRunFolder(flags.run);
  try {
    const layers = weightSpectrum(run.model, { layers: parseLayers(flags.layers) });
    const train = runFolderData(run.config).train;
    const singular = firstLayerSingularImages(run.model, train.sampleShape, scale);
    // The data live in the input space of a Dense first layer only; a conv layer reads patches.
    const onInputs =
      singular.className === 'Dense' && sampleLength(train) === singular.images[0].vector.length;
    const span = onInputs ? spanBasis(train.x, sampleLength(train), { maxSamples }) : undefined;
    const drawn = singular.images.slice(0, flags.images ?? singular.images.length);
    const columns = Math.min(16, Math.ceil(Math.sqrt(drawn.length)));
    await writePngGrid(path.join(flags.out, GRID_FILE), drawn, {
      columns,
      scale: 'clip01', // already mapped to [0, 1] by `scale`
      padding: 1,
      upscale: flags.upscale ?? autoUpscale(drawn[0]),
    });
    const report: SvdReport = {
      run: flags.run,
      layers: layers.map(({ inputVectors: _vectors, ...layer }) => layer),
      firstLayer: {
        layer: singular.layer,
        imageShape: singular.imageShape,
        image: GRID_FILE,
        columns,
        trainingSamples: Math.min(maxSamples, datasetSize(train)),
        spanRank: span?.rank,
        ...(span ? {} : { note: PATCH_NOTE }),
        vectors: singular.images.map((image, k) => ({
          ...(k < drawn.length ? { tile: k } : {}),
          rank: image.rank,
          sigma: image.sigma,
          projection: span ? projectionNorm(span, image.vector) : undefined,
        })),
      },
    };
    await writeFileAtomic(path.join(flags.out, 'svd.json'), JSON.stringify(report, null, 2));
    for (const line of svdTable(report)) print(line);
    print(`wrote ${path.join(flags.out, 'svd.json')} and ${path.join(flags.out, GRID_FILE)}`);
    return report;
  } finally {
    run.model.dispose();
  }
}

/** Registers `reglab svd`. */
export function registerSvdCommand(program: Command): void {
  const command = program.command('svd');
  addBackendOption(command);
  command
    .description(
      "singular values of every weight layer, the first layer's singular vectors as images, and their projection onto the training inputs",
    )
    .requiredOption(
      '--run <dir>',
      'run folder written by reglab train (config.json, model.json, weights.bin)',
      pathFlag,
    )
    .requiredOption('--out <dir>', 'folder for svd.json and singular-vectors.png', pathFlag)
    .option(
      '--layers <names>',
      'comma-separated weight layers for the spectra (default: every Dense/Conv layer)',
    )
    .option(
      '--max-samples <n>',
      'training inputs that span the data subspace (first N; cost grows as min(N, dim)³)',
      positiveInt,
      1000,
    )
    .option('--images <n>', 'singular images drawn, largest σ first (default: all)', positiveInt)
    .addOption(
      new Option('--scale <scale>', 'per-image mapping to [0, 1]')
        .choices(IMAGE_SCALES as unknown as string[])
        .default('minmax'),
    )
    .option('--upscale <n>', 'integer magnification (default: tiles at least 56 px)', positiveInt)
    .addHelpText(
      'after',
      '\nFor a layer with kernel W [in×out] (conv kernels reshaped to [kh·kw·in, out]) the forward map is\n' +
        'M = Wᵀ = UΣVᵀ; the images are the right singular vectors (columns of V), in the input space,\n' +
        'sorted by σ. "projection" is ‖Pv‖ with P the projector onto the span of the training inputs:\n' +
        '1 = the vector lies in the data, 0 = orthogonal to it. Racecar training drives the σ of\n' +
        'the data directions to 1 (see docs/analysis.md).\n',
    )
    .action((flags: SvdFlags) => svdAction(flags).then(() => undefined));
}

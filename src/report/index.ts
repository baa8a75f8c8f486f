/**
 * `buildReport(dir)`: the report of an experiment folder (reglab compare) or a run folder
 * (reglab train): `dir/report/index.html` (self-contained) and `dir/report/report.md` with the
 * PNG figures beside it. Figures whose data is missing (no `--track mi`, no saved model, a model
 * the reverse pass cannot invert) are left out with a note saying why.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { reconstruct as racecarReconstruct } from '../methods/racecar/index.js';
import { writeFileAtomic } from '../core/fs.js';
import { collectReportInput, representativeRuns, type ReportInput } from './collect.js';
import {
  activationFigure,
  curvesFigure,
  informationPlaneFigure,
  reconstructionFigure,
  singularImagesFigure,
  spectraFigure,
  type Figure,
  type MethodModel,
  type ReconstructFunction,
} from './figures.js';
import { reportHtml, reportMarkdown, type ReportContent } from './writers.js';
import { loadModel } from '../models/io.js';
import { loadRunData } from '../lab/run-config.js';

export * from './charts.js';
export * from './collect.js';
export * from './figures.js';
export * from './writers.js';

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** Output folder (default `<dir>/report`). */
  out?: string;
  /** The reverse pass for the reconstruction figure (default racecar's `reconstruct`; null: none). */
  reconstruct?: ReconstructFunction | null;
  /** Test images reconstructed (default 8). */
  reconstructions?: number;
  log?: (line: string) => void;
}

/** What {@link buildReport} wrote. */
export interface ReportOutcome {
  html: string;
  markdown: string;
  figures: { id: string; title: string; file: string }[];
  notes: string[];
}

/** Runs `make`; a failure becomes a note instead of ending the report. */
async function attempt<T>(
  what: string,
  notes: string[],
  make: () => T | Promise<T>,
): Promise<T | undefined> {
  try {
    return await make();
  } catch (error) {
    notes.push(`${what} left out: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function loadMethodModels(input: ReportInput, notes: string[]): Promise<MethodModel[]> {
  const runs = representativeRuns(input);
  if (runs.length === 0)
    notes.push(
      'no finished run with a saved model: weight spectra, singular vectors and reconstructions are left out',
    );
  const models: MethodModel[] = [];
  for (const run of runs) {
    const model = await attempt(`the model of ${run.id}`, notes, () =>
      loadModel(path.join(run.dir, 'model.json')),
    );
    if (model) models.push({ method: run.method, model });
  }
  return models;
}

async function metricFigures(input: ReportInput, notes: string[]): Promise<(Figure | undefined)[]> {
  const curves = await curvesFigure(input.runs);
  const plane = await informationPlaneFigure(input.runs);
  if (!plane)
    notes.push(
      'no information plane: the runs tracked no mutual information (train with --track mi)',
    );
  const activations = await activationFigure(input.runs);
  if (!activations)
    notes.push('no activation statistics: the runs tracked none (train with --track activations)');
  return [curves, plane, activations];
}

async function weightFigures(
  input: ReportInput,
  options: ReportOptions,
  notes: string[],
): Promise<(Figure | undefined)[]> {
  const models = await loadMethodModels(input, notes);
  try {
    const spectra = await attempt('the singular-value spectra', notes, () => spectraFigure(models));
    const singular = await attempt('the first-layer singular vectors', notes, () =>
      singularImagesFigure(models),
    );
    const reverse = options.reconstruct === undefined ? racecarReconstruct : options.reconstruct;
    let reconstructions: Figure | undefined;
    if (reverse === null) notes.push('no reconstructions: no reverse pass was given');
    else if (models.length > 0) {
      const first = representativeRuns(input)[0];
      reconstructions = await attempt('the reverse-pass reconstructions', notes, () =>
        reconstructionFigure(
          models,
          loadRunData(first.config).test,
          reverse,
          options.reconstructions,
        ),
      );
    }
    return [spectra, singular, reconstructions];
  } finally {
    for (const { model } of models) model.dispose();
  }
}

/** Builds the report of `dir` (see the file comment). */
export async function buildReport(
  dir: string,
  options: ReportOptions = {},
): Promise<ReportOutcome> {
  const log = options.log ?? (() => {});
  const input = await collectReportInput(dir);
  log(`${input.kind} ${dir}: ${input.runs.length} run(s), methods ${input.methods.join(', ')}`);
  const notes: string[] = [];
  if (input.missing.length > 0) {
    const total =
      input.kind === 'experiment' ? `${input.missing.length} of its runs have` : 'the run has';
    notes.push(
      `incomplete: ${total} no result yet (${input.missing.join(', ')}); run the same ${input.kind === 'experiment' ? 'reglab compare' : 'reglab train'} --out ${dir} again to finish ${input.missing.length > 1 ? 'them' : 'it'}`,
    );
  }
  const figures = [
    ...(await metricFigures(input, notes)),
    ...(await weightFigures(input, options, notes)),
  ].filter((f): f is Figure => f !== undefined);
  const out = options.out ?? path.join(dir, 'report');
  await fs.mkdir(out, { recursive: true });
  const written = [];
  for (const figure of figures) {
    const file = path.join(out, `${figure.id}.png`);
    await writeFileAtomic(file, figure.png);
    written.push({ id: figure.id, title: figure.title, file });
  }
  const content: ReportContent = {
    title: `reglab report: ${path.basename(path.resolve(dir))}`,
    config: input.config,
    table: input.table,
    figures,
    notes,
  };
  const html = path.join(out, 'index.html');
  const markdown = path.join(out, 'report.md');
  await writeFileAtomic(html, reportHtml(content));
  await writeFileAtomic(markdown, reportMarkdown(content));
  log(`report: ${html} (${figures.length} figures), ${markdown}`);
  return { html, markdown, figures: written, notes };
}

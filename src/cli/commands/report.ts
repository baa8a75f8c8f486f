/**
 * `reglab report DIR`: the report of an experiment folder (reglab compare) or a run folder
 * (reglab train) — DIR/report/index.html (self-contained) and DIR/report/report.md + PNGs.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select.js';
import type { ReportOutcome } from '../../report/index.js';

/**
 * The report module, loaded when a command needs it: it brings Vega (~1 s to load), which
 * every other command, and every error message, would otherwise wait for.
 */
export function loadReport(): Promise<typeof import('../../report/index.js')> {
  return import('../../report/index.js');
}
import { addBackendOption, pathFlag, positiveInt } from '../options.js';
import { checkOutputFolder } from '../../core/fs.js';

/** Flags of `reglab report`. */
export interface ReportFlags {
  backend: BackendName;
  out?: string;
  reconstructions: number;
}

/** The `report` action, exported for tests and the demo. */
export async function reportAction(
  dir: string,
  flags: ReportFlags,
  print: (line: string) => void = console.log,
): Promise<ReportOutcome> {
  await checkOutputFolder(flags.out ?? path.join(dir, 'report'));
  await selectBackend(flags.backend, { log: () => {} });
  const { buildReport } = await loadReport();
  const outcome = await buildReport(dir, {
    out: flags.out,
    reconstructions: flags.reconstructions,
    log: print,
  });
  for (const note of outcome.notes) print(`  note: ${note}`);
  print(`open ${outcome.html}`);
  return outcome;
}

/** Registers `reglab report`. */
export function registerReportCommand(program: Command): void {
  const command = program
    .command('report')
    .description(
      'write an HTML page and a Markdown file with figures (curves, table, information plane, spectra, singular vectors, reconstructions) for an experiment or run folder',
    )
    .argument(
      '<dir>',
      'experiment folder (reglab compare --out) or run folder (reglab train --out)',
    );
  addBackendOption(command);
  command
    .option('--out <dir>', 'output folder (default DIR/report)', pathFlag)
    .option('--reconstructions <n>', 'test images reconstructed per method', positiveInt, 8)
    .addHelpText(
      'after',
      '\nFigures need data: the information plane needs runs trained with --track mi, activation statistics --track activations.\n',
    )
    .action((dir: string, flags: ReportFlags) => reportAction(dir, flags).then(() => undefined));
}

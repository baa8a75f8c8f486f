/**
 * `reglab demo`, the main job: Std vs orthogonality vs racecar (RR) training of a small MLP on an
 * MNIST subset, a few seeds in parallel, mutual information tracked per layer; prints the
 * results table (mean ± std, 95% CI, paired test against Std) and writes the report
 * (runs/demo/report/index.html). A few minutes on 2 cores; finished runs are reused on a rerun.
 */
import type { Command } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { parseMethod, type ExperimentConfig } from '../../lab/matrix.js';
import { addBackendOption, pathFlag, positiveInt } from '../options.js';
import { checkOutputFolder } from '../../core/fs.js';
import { methodTexts, runAndPrint } from './compare.js';
import { loadReport } from './report.js';

/** The demo's methods: Std, SRIP orthogonality, racecar (reverse pass from the pre-softmax value). */
export const DEMO_METHODS = ['std', 'ort:0.1', 'racecar:1e-5'] as const;

/** The demo's shared run settings: small enough for a few minutes on 2 cores. */
export const DEMO_BASE: ExperimentConfig['base'] = {
  dataset: 'mnist',
  trainSize: 5000,
  testSize: 2000,
  model: 'mlp:256',
  activation: 'relu',
  epochs: 5,
  batchSize: 64,
  optimizer: 'adam',
  lr: 1e-3,
  track: ['mi', 'activations'],
  monitorSamples: 512,
};

interface DemoFlags {
  backend: BackendName;
  out: string;
  seeds: number;
  workers: number;
  method: string[];
  methods?: string;
}

/** The demo experiment for the given flags. */
export function demoExperiment(
  flags: Pick<DemoFlags, 'seeds' | 'method' | 'methods'>,
): ExperimentConfig {
  const texts = flags.method.length > 0 || flags.methods ? methodTexts(flags) : [...DEMO_METHODS];
  return {
    base: DEMO_BASE,
    methods: texts.flatMap(parseMethod),
    seeds: Array.from({ length: flags.seeds }, (_, i) => i + 1),
  };
}

/** The `demo` action, exported for tests. */
export async function demoAction(
  flags: DemoFlags,
  print: (line: string) => void = console.log,
): Promise<void> {
  const experiment = demoExperiment(flags);
  await checkOutputFolder(flags.out);
  await selectBackend(flags.backend, { log: print });
  print(
    `demo: ${experiment.methods.map((m) => m.label).join(' vs ')} on ${DEMO_BASE.trainSize} MNIST images, ${DEMO_BASE.model}, ${DEMO_BASE.epochs} epochs, ${flags.seeds} seeds → ${flags.out}`,
  );
  const options = { out: flags.out, backend: flags.backend, workers: flags.workers };
  await runAndPrint(experiment, options, print, 'run reglab demo again');
  const { buildReport } = await loadReport();
  const report = await buildReport(flags.out, { log: () => {} });
  for (const note of report.notes) print(`note: ${note}`);
  print(`\nreport: ${report.html}\n        ${report.markdown}`);
}

/** Registers `reglab demo`. */
export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description(
      `the main job: ${DEMO_METHODS.join(' vs ')} on an MNIST subset, a table and a report with the information plane`,
    );
  addBackendOption(command);
  command
    .option(
      '--out <dir>',
      'experiment folder (finished runs there are reused)',
      pathFlag,
      'runs/demo',
    )
    .option('--seeds <n>', 'seeds 1..N', positiveInt, 3)
    .option('--workers <n>', 'parallel runs', positiveInt, 2)
    .option(
      '--method <spec>',
      `a method to compare, repeatable (see reglab compare --help); default ${DEMO_METHODS.join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value],
      [],
    )
    .option('--methods <list>', 'deprecated: comma-separated methods (use repeated --method)')
    .action((flags: DemoFlags) => demoAction(flags));
}

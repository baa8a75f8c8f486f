/**
 * Does racecar (RR) give "more balanced mutual information between input and output throughout
 * all layers" (Xie & Thuerey, arXiv 2007.00024)? Std vs SRIP orthogonality (Ort) vs RR on an
 * MNIST subset (MLP 784-256-256-10, ReLU, 5,000 training images, 5 epochs, Adam 1e-3, batch 64,
 * 5 seeds), every epoch I(X;T) and I(T;Y) of each block on the 2,000 test images, with four
 * estimators side by side (the `mi` monitor's kNN default, binning on the top two principal
 * components, and — to show them saturate — binning every unit and the KDE bound at σ² = 1e-3).
 *
 *   npx tsx examples/mi-balance.ts            (trains what runs/mi-balance lacks, then prints)
 *   npx tsx examples/mi-balance.ts --no-train (prints from the runs already there)
 *
 * The tables (docs/mutual-information.md, "Is RR more balanced?"): per block and method, the
 * final-epoch I(X;T) and I(T;Y) (mean ± sd over seeds); then three balance measures per run,
 * each compared with Std by a paired t-test over seeds:
 *   spread_X = max_l I(X;T_l) − min_l I(X;T_l)  (how evenly input information survives depth),
 *   ratio    = mean_l I(T_l;Y) / I(X;T_l)       (output versus input information per layer),
 *   gap      = mean_l |I(X;T_l) − I(T_l;Y)|      (the same as a difference, in bits).
 */
import { spawnSync } from 'node:child_process';
import { collectReportInput, pairedComparison, summarize } from '../src/index.js';

const OUT = 'runs/mi-balance';
const SEEDS = 5;
const METHODS = ['std', 'ort:0.1', 'racecar:1e-5'];
const BLOCKS = ['dense_1', 'dense_2', 'dense_3'];
const ESTIMATORS: Record<string, string> = {
  mi: 'kNN (KSG / Ross, k = 3)',
  mi_pca: 'binning, top-2 PCs, 30 bins',
  mi_bin: 'binning, every unit, 30 bins (old default)',
  mi_kde: 'KDE upper bound, σ² = 1e-3',
};

const ARGS = [
  ...['--dataset', 'mnist', '--train-size', '5000', '--test-size', '2000'],
  ...['--model', 'mlp:256,256', '--activation', 'relu', '--epochs', '5', '--batch-size', '64'],
  ...[
    '--optimizer',
    'adam',
    '--lr',
    '1e-3',
    ...METHODS.flatMap((m) => ['--method', m]),
    '--seeds',
    `${SEEDS}`,
  ],
  ...['--workers', '2', '--backend', 'wasm', '--out', OUT],
  ...['--track', 'mi', '--track', 'mi:binning:name=mi_pca'],
  ...['--track', 'mi:binning:dims=0:name=mi_bin', '--track', 'mi:kde:name=mi_kde'],
];

if (!process.argv.includes('--no-train')) {
  console.log(`$ npx tsx src/cli/main.ts compare ${ARGS.join(' ')}`);
  const result = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'compare', ...ARGS], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Monitors of the last epoch, per method, per seed (the experiment folder read as the report reads it). */
const experiment = await collectReportInput(OUT);
const last: Record<string, Record<string, number>[]> = {};
for (const method of METHODS) {
  const runs = experiment.runs
    .filter((run) => run.method === method && run.phase === 'train')
    .sort((a, b) => a.seed - b.seed);
  if (runs.length !== SEEDS)
    throw new Error(`${OUT} has ${runs.length} runs of ${method}, not ${SEEDS}`);
  last[method] = runs.map((run) => {
    if (run.metrics.length !== run.config.epochs) throw new Error(`${run.dir} has not finished`);
    const final = run.metrics[run.metrics.length - 1];
    return { ...final.monitors, acc: final.valAccuracy! };
  });
}

const fmt = (values: number[], digits = 2) => {
  const { mean, std } = summarize(values);
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
};
const p = (value: number) => (value < 0.001 ? '<0.001' : value.toFixed(3));

console.log(
  `\nTest accuracy: ${METHODS.map(
    (m) =>
      `${m} ${fmt(
        last[m].map((r) => 100 * r.acc),
        1,
      )}`,
  ).join(', ')}`,
);

for (const [prefix, title] of Object.entries(ESTIMATORS)) {
  console.log(`\n### ${title} — final epoch, bits, mean ± sd over ${SEEDS} seeds\n`);
  console.log(`| block | ${METHODS.map((m) => `${m} I(X;T) | ${m} I(T;Y)`).join(' | ')} |`);
  console.log(`|---|${METHODS.map(() => '---|---|').join('')}`);
  for (const block of BLOCKS) {
    const cells = METHODS.flatMap((m) => [
      fmt(last[m].map((r) => r[`${prefix}/${block}/ixt`])),
      fmt(last[m].map((r) => r[`${prefix}/${block}/ity`])),
    ]);
    console.log(`| ${block} | ${cells.join(' | ')} |`);
  }
}

/** The three balance measures of one run (see the file comment). */
function balance(run: Record<string, number>, prefix: string) {
  const ixt = BLOCKS.map((b) => run[`${prefix}/${b}/ixt`]);
  const ity = BLOCKS.map((b) => run[`${prefix}/${b}/ity`]);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
  return {
    spread_X: Math.max(...ixt) - Math.min(...ixt),
    ratio: mean(ity.map((y, l) => y / ixt[l])),
    gap: mean(ity.map((y, l) => Math.abs(ixt[l] - y))),
  };
}

for (const prefix of ['mi', 'mi_pca']) {
  console.log(`\n### Balance, ${ESTIMATORS[prefix]} (paired t-test against std over seeds)\n`);
  console.log('| measure | ' + METHODS.join(' | ') + ' | ort − std (p) | racecar − std (p) |');
  console.log('|---|' + METHODS.map(() => '---|').join('') + '---|---|');
  for (const measure of ['spread_X', 'ratio', 'gap'] as const) {
    const values = Object.fromEntries(
      METHODS.map((m) => [m, last[m].map((run) => balance(run, prefix)[measure])]),
    );
    const versus = METHODS.slice(1).map((m) => {
      const c = pairedComparison(values[m], values.std);
      return `${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(3)} (${p(c.pValue)})`;
    });
    console.log(
      `| ${measure} | ${METHODS.map((m) => fmt(values[m], 3)).join(' | ')} | ${versus.join(' | ')} |`,
    );
  }
}

// The reading of the paper's Fig. 2 in docs/lab.md: "deeper layers keep more I(X;T) at the same
// or higher I(T;Y)". Per block, each method minus Std, paired over seeds.
for (const prefix of ['mi', 'mi_pca']) {
  console.log(`\n### Per block, method − std, ${ESTIMATORS[prefix]} (bits, paired p)\n`);
  const others = METHODS.slice(1);
  console.log(`| block | ${others.map((m) => `${m} ΔI(X;T) | ${m} ΔI(T;Y)`).join(' | ')} |`);
  console.log(`|---|${others.map(() => '---|---|').join('')}`);
  for (const block of BLOCKS) {
    const cells = others.flatMap((m) =>
      ['ixt', 'ity'].map((key) => {
        const pick = (runs: Record<string, number>[]) =>
          runs.map((r) => r[`${prefix}/${block}/${key}`]);
        const c = pairedComparison(pick(last[m]), pick(last.std));
        return `${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(3)} (${p(c.pValue)})`;
      }),
    );
    console.log(`| ${block} | ${cells.join(' | ')} |`);
  }
}

/**
 * PER on a word-level LSTM language model (the PER paper's second task), on the generated
 * grammar corpus (data/grammar.ts) so that it runs without downloads: vanilla against PER and
 * the L1/L2 activation penalties on the LSTM outputs (every time step a sample), several seeds,
 * valid and test perplexity. Every run goes through `trainRun` — the path of `reglab train` —
 * into its own run folder, and a finished run (its `result.json`) is not run again.
 *
 *   npx tsx examples/per-language-model.ts [--backend native] [--seeds 1,2,3] [--epochs 12]
 *     [--methods none,per:1e-3,l1act:1e-4,l2act:1e-4] [--model lstm-lm:128:embed=64]
 *     [--train-size 15000] [--lr 3e-3] [--optimizer adam] [--eval-every 1]
 *     [--out runs/per-language-model]
 *
 * Prints, and writes to OUT/summary.md, the mean ± sd over seeds of the best and last valid
 * perplexity, of the test perplexity and of its difference to the first method's run of the
 * same seed (runs of one seed share initial weights and batch order: paired), with the
 * grammar's entropy floor (no model can go below exp(entropy per token)).
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  Random,
  ReglabError,
  canonicalRunConfig,
  grammarEntropy,
  readResult,
  readRunConfig,
  renderTable,
  selectBackend,
  trainRun,
  type BackendName,
  type RunConfig,
  type RunResult,
} from '../src/index.js';
import { argument, meanSd } from './per-shared.js';

const backend = await selectBackend(argument('backend', 'native') as BackendName);
const seeds = argument('seeds', '1,2,3').split(',').map(Number);
const methods = argument('methods', 'none,per:1e-3,l1act:1e-4,l2act:1e-4').split(',');
const out = argument('out', 'runs/per-language-model');
const base: RunConfig = {
  dataset: 'grammar',
  trainSize: Number(argument('train-size', '15000')),
  testSize: Number(argument('test-size', '5000')),
  model: argument('model', 'lstm-lm:128:embed=64'),
  epochs: Number(argument('epochs', '12')),
  evalEvery: Number(argument('eval-every', '1')),
  batchSize: 20,
  bptt: 35,
  optimizer: argument('optimizer', 'adam'),
  lr: argument('optimizer', 'adam').startsWith('cola') ? undefined : Number(argument('lr', '3e-3')),
  constraints: argument('constraint', '') ? [argument('constraint', '')] : [],
  seed: 1,
};

const floor = Math.exp(grammarEntropy(new Random('entropy'), 200_000));
console.log(
  `backend ${backend}; ${base.model} on grammar (${base.trainSize} train tokens), ${base.epochs} epochs, ${base.optimizer}; entropy floor: perplexity ${floor.toFixed(3)}`,
);

/** The run folder of one method and seed. */
const folder = (method: string, seed: number) =>
  path.join(out, `${method.replace(/[^a-zA-Z0-9.-]+/g, '_')}-s${seed}`);

/** The result of a finished run of `config` in `dir`; an error when `dir` ran another config. */
async function finished(dir: string, config: RunConfig): Promise<RunResult | undefined> {
  const result = await readResult(dir);
  if (!result) return undefined;
  const stored = await readRunConfig(dir);
  const wanted = canonicalRunConfig(config);
  const same = (['model', 'epochs', 'trainSize', 'optimizer', 'lr', 'seed'] as const).every(
    (key) => stored[key] === wanted[key],
  );
  if (!same || JSON.stringify(stored.regs) !== JSON.stringify(wanted.regs))
    throw new ReglabError(`${dir} holds a run of another config`, 'use another --out');
  return result;
}

/** Valid perplexity of the epochs that were evaluated (every `--eval-every`-th and the last). */
const validPerplexities = (result: RunResult) =>
  result.history.flatMap((m) => (m.valPerplexity === undefined ? [] : [m.valPerplexity]));

const results = new Map<string, RunResult[]>();
for (const method of methods) {
  for (const seed of seeds) {
    const dir = folder(method, seed);
    const config = { ...base, seed, regs: method === 'none' ? [] : [method] };
    const result = (await finished(dir, config)) ?? (await trainRun(config, dir));
    const valid = validPerplexities(result);
    console.log(
      `${method.padEnd(14)} seed ${seed}: valid ppl ${valid.map((v) => v.toFixed(2)).join(' ')} | test ${result.testPerplexity?.toFixed(3)} (${result.seconds.toFixed(0)} s)`,
    );
    results.set(method, [...(results.get(method) ?? []), result]);
  }
}

const cell = (values: number[]) => {
  const { mean, sd } = meanSd(values);
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};
const table = {
  header: [
    'reg',
    'best valid ppl',
    'last valid ppl',
    'test ppl (last epoch)',
    `test ppl − ${methods[0]} (paired by seed)`,
    'train ppl (last)',
  ],
  rows: methods.map((method) => {
    const runs = results.get(method) ?? [];
    const valid = runs.map(validPerplexities);
    const test = runs.map((r) => r.testPerplexity ?? NaN);
    const baseline = (results.get(methods[0]) ?? []).map((r) => r.testPerplexity ?? NaN);
    return [
      `\`${method}\``,
      cell(valid.map((v) => Math.min(...v))),
      cell(valid.map((v) => v[v.length - 1])),
      cell(test),
      method === methods[0] ? '—' : cell(test.map((t, k) => t - baseline[k])),
      cell(runs.map((r) => r.history[r.history.length - 1].perplexity ?? NaN)),
    ];
  }),
};
const summary = `${renderTable(table, 'markdown')}\nEntropy floor of the grammar: perplexity ${floor.toFixed(3)}. Seeds ${seeds.join(', ')}; ${base.model}, ${base.epochs} epochs, ${base.optimizer}${base.lr ? ` lr ${base.lr}` : ''}, batch 20 streams × bptt 35, ${backend} backend.\n`;
console.log(`\n${summary}`);
await writeFile(path.join(out, 'summary.md'), summary);

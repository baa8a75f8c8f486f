/**
 * Console output of a training run: a progress bar over the batches of an epoch (cli-progress,
 * only on a terminal) and one summary line per epoch.
 */
import cliProgress from 'cli-progress';
import type { EpochMetrics, StepResult, TrainerCallbacks } from '../train/trainer.js';

const percent = (x: number | undefined) =>
  x === undefined ? '   –  ' : `${(100 * x).toFixed(2)}%`;

/** One line per epoch: losses, each term, accuracy, validation and time. */
export function formatEpoch(metrics: EpochMetrics, totalEpochs: number): string {
  const terms = Object.entries(metrics.terms).map(
    ([name, value]) => `${name} ${value.toPrecision(4)}`,
  );
  const losses = terms.length
    ? `loss ${metrics.loss.toFixed(4)} (task ${metrics.task.toFixed(4)}, ${terms.join(', ')})`
    : `loss ${metrics.loss.toFixed(4)}`;
  const validation =
    metrics.valAccuracy === undefined
      ? ''
      : `  val ${percent(metrics.valAccuracy)} / ${metrics.valLoss?.toFixed(4)}`;
  const perplexities =
    metrics.perplexity === undefined
      ? ''
      : `  ppl ${metrics.perplexity.toFixed(2)}${metrics.valPerplexity === undefined ? '' : ` / val ${metrics.valPerplexity.toFixed(2)}`}`;
  return `epoch ${String(metrics.epoch).padStart(String(totalEpochs).length)}/${totalEpochs}  ${losses}  acc ${percent(metrics.accuracy)}${validation}${perplexities}  ${metrics.seconds.toFixed(1)} s`;
}

/**
 * Callbacks that draw a progress bar during each epoch and print {@link formatEpoch} after it.
 * `batchesPerEpoch` sizes the bar.
 */
export function consoleProgress(
  totalEpochs: number,
  batchesPerEpoch: number,
  print: (line: string) => void = console.log,
): TrainerCallbacks {
  const bar = new cliProgress.SingleBar(
    {
      format: 'epoch {epoch} [{bar}] {value}/{total} batches  loss {loss}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let epoch = 1;
  let inBatch = 0;
  return {
    onBatchEnd(_step: number, result: StepResult) {
      if (inBatch === 0) bar.start(batchesPerEpoch, 0, { epoch, loss: '–' });
      inBatch += 1;
      bar.update(inBatch, { loss: result.loss.toFixed(4) });
    },
    onEpochEnd(metrics: EpochMetrics) {
      bar.stop();
      inBatch = 0;
      epoch = metrics.epoch + 1;
      print(formatEpoch(metrics, totalEpochs));
    },
  };
}

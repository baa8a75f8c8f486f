/**
 * What the page remembers of a run for its curves: the training steps (smoothed), the test
 * numbers, the monitors and the constraint residuals at every views update.
 */
import type { StepResult } from '../../src/browser.js';
import type { Views } from './protocol.js';
import type { Series } from './views/chart.js';

/** Weight of the newest step in the smoothed training curves. */
const SMOOTHING = 0.1;
/** Points drawn per curve at most (older steps are thinned evenly). */
const MAX_POINTS = 1500;

type Point = [number, number];

function thin(points: readonly Point[]): Point[] {
  if (points.length <= MAX_POINTS) return [...points];
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

export class RunHistory {
  /** The loss of every step as the trainer reported it, indexed by step − 1. */
  readonly stepLoss: number[] = [];
  readonly loss: Point[] = [];
  readonly accuracy: Point[] = [];
  readonly testLoss: Point[] = [];
  readonly testAccuracy: Point[] = [];
  /** Per views update: the step and every monitor value. */
  readonly monitors: { step: number; values: Record<string, number> }[] = [];
  readonly residuals: { step: number; values: Record<string, number> }[] = [];
  private smooth?: { loss: number; accuracy: number };

  addSteps(first: number, results: readonly StepResult[]): void {
    results.forEach((result, i) => {
      this.stepLoss[first + i - 1] = result.loss;
      const s = this.smooth;
      this.smooth = s
        ? {
            loss: s.loss + SMOOTHING * (result.loss - s.loss),
            accuracy: s.accuracy + SMOOTHING * (result.accuracy - s.accuracy),
          }
        : { loss: result.loss, accuracy: result.accuracy };
      this.loss.push([first + i, this.smooth.loss]);
      this.accuracy.push([first + i, this.smooth.accuracy]);
    });
  }

  addViews(views: Views): void {
    if (Number.isFinite(views.test.loss) && this.testLoss.at(-1)?.[0] !== views.step) {
      this.testLoss.push([views.step, views.test.loss]);
      this.testAccuracy.push([views.step, views.test.accuracy]);
      this.monitors.push({ step: views.step, values: views.monitors });
      if (views.residuals) this.residuals.push({ step: views.step, values: views.residuals });
    }
  }

  lossSeries(): Series[] {
    return [
      { name: 'training (smoothed)', points: thin(this.loss) },
      { name: 'test', points: this.testLoss },
    ];
  }

  accuracySeries(): Series[] {
    return [
      { name: 'training (smoothed)', points: thin(this.accuracy) },
      { name: 'test', points: this.testAccuracy },
    ];
  }

  /** One series per `prefix/<site>/<stat>` key over the steps (e.g. `activations`, `var`). */
  monitorSeries(prefix: string, stat: string): Series[] {
    const names = new Set(
      this.monitors.flatMap(({ values }) =>
        Object.keys(values)
          .filter((key) => key.startsWith(`${prefix}/`) && key.endsWith(`/${stat}`))
          .map((key) => key.slice(prefix.length + 1, -stat.length - 1)),
      ),
    );
    return [...names].map((site) => ({
      name: site,
      points: this.monitors
        .filter(({ values }) => `${prefix}/${site}/${stat}` in values)
        .map(({ step, values }): Point => [step, values[`${prefix}/${site}/${stat}`]]),
    }));
  }

  /** The information plane: per block, (I(X;T), I(T;Y)) at every update. */
  informationSeries(): Series[] {
    const ixt = this.monitorSeries('mi', 'ixt');
    const ity = this.monitorSeries('mi', 'ity');
    return ixt.map((series) => ({
      name: series.name,
      points: series.points.map(([, x], i): Point => [
        x,
        ity.find((s) => s.name === series.name)!.points[i][1],
      ]),
    }));
  }

  residualSeries(): Series[] {
    const names = new Set(this.residuals.flatMap(({ values }) => Object.keys(values)));
    return [...names].map((name) => ({
      name,
      points: this.residuals.map(({ step, values }): Point => [step, values[name]]),
    }));
  }
}

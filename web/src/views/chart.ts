/**
 * A small canvas chart: lines (curves over steps), trajectories (the information plane) and
 * bars (the singular-value spectrum), with axes, ticks and a legend. Enough for live views that
 * redraw a few times a second; the canvas is also what a view's PNG export saves.
 */

/** One named set of points. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  x: string;
  y: string;
  /** Logarithmic y axis (non-positive values are left out). */
  logY?: boolean;
  /** `line` (default), `trajectory` (lines with dots, the last one large) or `bars`. */
  kind?: 'line' | 'trajectory' | 'bars';
  /** Text drawn in the middle when there is nothing to plot. */
  empty?: string;
}

/** Tableau-10, so series keep their colour across charts (by index). */
export const COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const MARGIN = { left: 52, right: 10, top: 22, bottom: 30 };

/** Round tick values covering [min, max]. */
function ticks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

function label(value: number): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  return a >= 1e4 || a < 1e-2 ? value.toExponential(0) : String(Number(value.toPrecision(3)));
}

function extent(values: number[]): [number, number] {
  let [min, max] = [Math.min(...values), Math.max(...values)];
  if (!Number.isFinite(min)) return [0, 1];
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  return [min, max];
}

/** Draws `series` into `canvas` (its current size) as the options say. */
export function drawChart(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  options: ChartOptions,
): void {
  const context = canvas.getContext('2d')!;
  const { width, height } = canvas;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  context.fillStyle = '#222';
  context.font = 'bold 12px sans-serif';
  context.fillText(options.title, MARGIN.left, 14);
  const fy = options.logY ? (v: number) => Math.log10(v) : (v: number) => v;
  const kept = series.map((s) => ({
    ...s,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(fy(y))),
  }));
  const all = kept.flatMap((s) => s.points);
  if (all.length === 0) {
    context.font = '12px sans-serif';
    context.fillStyle = '#888';
    context.fillText(options.empty ?? 'no data yet', width / 2 - 40, height / 2);
    return;
  }
  const bars = options.kind === 'bars';
  const [x0, x1] = bars ? [-0.5, all.length - 0.5] : extent(all.map(([x]) => x));
  const [y0, y1] = extent([...all.map(([, y]) => fy(y)), ...(bars && !options.logY ? [0] : [])]);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  drawAxes(context, { x0, x1, y0, y1, px, py, width, height, bars, options });
  kept.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    context.strokeStyle = context.fillStyle = color;
    context.lineWidth = 1.5;
    if (bars) {
      const w = Math.max(1, plotW / s.points.length - 1);
      s.points.forEach(([, y], i) => {
        const top = py(fy(y));
        context.fillRect(px(i) - w / 2, top, w, py(Math.max(y0, options.logY ? y0 : 0)) - top);
      });
      return;
    }
    context.beginPath();
    s.points.forEach(([x, y], i) =>
      (i ? context.lineTo : context.moveTo).call(context, px(x), py(fy(y))),
    );
    context.stroke();
    if (options.kind === 'trajectory')
      s.points.forEach(([x, y], i) => {
        context.beginPath();
        context.arc(px(x), py(fy(y)), i === s.points.length - 1 ? 4 : 1.5, 0, 2 * Math.PI);
        context.fill();
      });
  });
  drawLegend(context, kept, width);
}

interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  px: (x: number) => number;
  py: (y: number) => number;
  width: number;
  height: number;
  bars: boolean;
  options: ChartOptions;
}

function drawAxes(context: CanvasRenderingContext2D, f: Frame): void {
  context.strokeStyle = '#ccc';
  context.fillStyle = '#555';
  context.font = '10px sans-serif';
  context.lineWidth = 1;
  for (const y of ticks(f.y0, f.y1)) {
    context.beginPath();
    context.moveTo(MARGIN.left, f.py(y));
    context.lineTo(f.width - MARGIN.right, f.py(y));
    context.stroke();
    context.fillText(label(f.options.logY ? 10 ** y : y), 4, f.py(y) + 3);
  }
  if (!f.bars)
    for (const x of ticks(f.x0, f.x1, 6)) context.fillText(label(x), f.px(x) - 8, f.height - 16);
  context.fillText(f.options.x, f.width / 2 - 20, f.height - 3);
  context.fillText(f.options.y, MARGIN.left + 4, MARGIN.top + 10);
}

function drawLegend(
  context: CanvasRenderingContext2D,
  series: readonly Series[],
  width: number,
): void {
  if (series.length < 2 && !series[0]?.name) return;
  context.font = '10px sans-serif';
  let x = width - MARGIN.right;
  for (let i = series.length - 1; i >= 0; i--) {
    const text = series[i].name;
    x -= context.measureText(text).width + 16;
    context.fillStyle = COLORS[i % COLORS.length];
    context.fillRect(x, 6, 10, 10);
    context.fillStyle = '#333';
    context.fillText(text, x + 13, 15);
  }
}

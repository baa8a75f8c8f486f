/**
 * The report's charts: one Vega-Lite spec builder ({@link chartSpec}) parameterized by mark,
 * encodings and facets, compiled by vega-lite, rendered to SVG by vega in Node (no DOM, no
 * canvas: `renderer: 'none'`), and to PNG by resvg.
 *
 * Fonts. The SVG names the font family `sans-serif`; browsers (the HTML report) resolve it
 * themselves. resvg needs a real font file for text in PNGs: it loads the system fonts and maps
 * `sans-serif` to {@link PNG_FONT_FAMILY} (DejaVu Sans, present on most Linux systems; on macOS
 * and Windows resvg falls back to another system sans font). Where no font exists at all (a bare
 * container), PNG text would be missing: install one (`apt-get install fonts-dejavu-core`) or
 * point `REGLAB_FONT_FILES` at .ttf files (colon-separated). See docs/lab.md.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** One row of chart data: field → value. */
export type Row = Record<string, string | number>;

/** A field on an axis or a legend. */
export interface Field {
  field: string;
  /** Axis or legend title (default the field name; null for none). */
  title?: string | null;
  /** `quantitative` (default for x/y), `nominal` (default for colour/facets), `ordinal`. */
  type?: 'quantitative' | 'nominal' | 'ordinal';
  /** Log scale (quantitative only). */
  log?: boolean;
  /** Order of nominal values (default: order of first appearance in the data). */
  sort?: string[];
  /** Colour scheme name (colour only), e.g. `viridis` for ordered layers. */
  scheme?: string;
  /** Whole-number ticks (epochs, ranks). */
  integer?: boolean;
}

/** What {@link chartSpec} draws. */
export interface ChartOptions {
  /** `line` (with `points` markers when asked) or `bar`. */
  mark: 'line' | 'bar';
  x: Field;
  y: Field;
  color?: Field;
  /** Draws lines in this field's order instead of x's (information plane: along epochs). */
  order?: string;
  /** One panel per value, side by side. */
  column?: Field;
  /** One panel row per value. */
  row?: Field;
  /** Points on lines (default true). */
  points?: boolean;
  /** Each panel its own y scale (default false). */
  independentY?: boolean;
  /** Each panel its own x scale (default false). */
  independentX?: boolean;
  /** Panel size in px (default 220 × 160). */
  width?: number;
  height?: number;
  title?: string;
}

/** Nominal values in order of first appearance, so `dense_2` stays before `dense_10`. */
function appearanceOrder(rows: readonly Row[], field: string): string[] {
  return [...new Set(rows.map((row) => String(row[field])))];
}

function channel(field: Field, rows: readonly Row[], fallbackType: Field['type']) {
  const type = field.type ?? fallbackType;
  const encoding: Record<string, unknown> = {
    field: field.field,
    type,
    title: field.title === undefined ? field.field : field.title,
  };
  if (type === 'quantitative') encoding.scale = field.log ? { type: 'log' } : { zero: false };
  else encoding.sort = field.sort ?? appearanceOrder(rows, field.field);
  if (field.scheme) encoding.scale = { scheme: field.scheme };
  if (field.integer) encoding.axis = { format: 'd', tickMinStep: 1 };
  return encoding;
}

/** The Vega-Lite spec of a (faceted) line or bar chart of `rows`. */
export function chartSpec(rows: readonly Row[], options: ChartOptions): TopLevelSpec {
  const encoding: Record<string, unknown> = {
    x: channel(options.x, rows, 'quantitative'),
    y: channel(options.y, rows, 'quantitative'),
  };
  if (options.color) encoding.color = channel(options.color, rows, 'nominal');
  if (options.order) encoding.order = { field: options.order, type: 'quantitative' };
  const mark =
    options.mark === 'line'
      ? { type: 'line', point: options.points ?? true, strokeWidth: 1.5 }
      : { type: 'bar' };
  const panel = { width: options.width ?? 220, height: options.height ?? 160, mark, encoding };
  const facet: Record<string, unknown> = {};
  if (options.column)
    facet.column = {
      ...channel(options.column, rows, 'nominal'),
      header: { labelFontSize: 12, title: null },
    };
  if (options.row)
    facet.row = {
      ...channel(options.row, rows, 'nominal'),
      header: { labelFontSize: 12, title: null },
    };
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    data: { values: rows as Row[] },
    background: 'white',
    config: { font: 'sans-serif' },
  };
  if (Object.keys(facet).length === 0) return { ...common, ...panel } as TopLevelSpec;
  const resolve = {
    scale: {
      y: options.independentY ? 'independent' : 'shared',
      x: options.independentX ? 'independent' : 'shared',
    },
  };
  return { ...common, facet, spec: panel, resolve } as TopLevelSpec;
}

/** The font family resvg draws `sans-serif` text with (see the file comment). */
export const PNG_FONT_FAMILY = 'DejaVu Sans';

/** A rendered chart. */
export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Compiles a Vega-Lite spec and renders it to SVG (vega, headless). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG at `scale`× with resvg, on white. */
export function svgToPng(svg: string, scale = 1.5): Buffer {
  const fontFiles = process.env.REGLAB_FONT_FILES?.split(':').filter(Boolean) ?? [];
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: true,
      fontFiles,
      defaultFontFamily: PNG_FONT_FAMILY,
      sansSerifFamily: PNG_FONT_FAMILY,
    },
  });
  return resvg.render().asPng();
}

/** {@link chartSpec} rendered to SVG and PNG. */
export async function renderChart(
  rows: readonly Row[],
  options: ChartOptions,
): Promise<RenderedChart> {
  const svg = await renderSvg(chartSpec(rows, options));
  return { svg, png: svgToPng(svg) };
}

/**
 * The two forms of a report: a self-contained HTML page (every figure embedded as a data URI:
 * charts as SVG, image grids as PNG; no external file, script or font) and a Markdown file that
 * links the PNG files written beside it.
 */
import { escapeHtml, renderTable } from '../core/table.js';
import type { ResultsTable } from '../lab/results.js';
import type { Figure } from './figures.js';

/** What both writers show. */
export interface ReportContent {
  title: string;
  /** Shared settings, shown as a key/value list. */
  config: Record<string, unknown>;
  table: ResultsTable;
  figures: Figure[];
  /** Why figures are missing, and other remarks. */
  notes: string[];
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function dataUri(figure: Figure): string {
  return figure.svg !== undefined
    ? `data:image/svg+xml;base64,${Buffer.from(figure.svg).toString('base64')}`
    : `data:image/png;base64,${figure.png.toString('base64')}`;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f4f4f4}figure{margin:2em 0}figure img{max-width:100%}img.grid{image-rendering:pixelated}
figcaption{color:#555;font-size:.9em;max-width:900px}dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dt{font-weight:600}dd{margin:0;font-family:monospace}`;

/** The self-contained HTML page. */
export function reportHtml(content: ReportContent): string {
  const config = Object.entries(content.config)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(formatValue(value))}</dd>`)
    .join('');
  const figures = content.figures
    .map(
      (figure) =>
        `<figure id="${figure.id}"><h2>${escapeHtml(figure.title)}</h2><img${figure.svg === undefined ? ' class="grid"' : ''} src="${dataUri(figure)}" alt="${escapeHtml(figure.title)}"><figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`,
    )
    .join('\n');
  const notes =
    content.notes.length > 0
      ? `<h2>Notes</h2><ul>${content.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
      : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(content.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(content.title)}</h1>
<h2>Setup</h2><dl>${config}</dl>
<h2>Results</h2>${renderTable(content.table.table, 'html').replace('<table>', '<table class="results">')}
${figures}
${notes}
</body></html>
`;
}

/** The Markdown report; figure `id` is linked as `id.png` beside it. */
export function reportMarkdown(content: ReportContent): string {
  const config = Object.entries(content.config)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `- ${key}: \`${formatValue(value)}\``)
    .join('\n');
  const figures = content.figures
    .map(
      (figure) =>
        `## ${figure.title}\n\n![${figure.title}](${figure.id}.png)\n\n${figure.caption}\n`,
    )
    .join('\n');
  const notes =
    content.notes.length > 0
      ? `\n## Notes\n\n${content.notes.map((n) => `- ${n}`).join('\n')}\n`
      : '';
  return `# ${content.title}\n\n## Setup\n\n${config}\n\n## Results\n\n${content.table.markdown}\n\n${figures}${notes}`;
}

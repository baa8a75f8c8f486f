/**
 * One table model, four renderings: Markdown (docs, `results.md`), HTML (reports), CSV
 * (RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled) and aligned
 * plain text (the terminal). Every table reglab writes goes through {@link renderTable}, so
 * the HTML report never parses Markdown back and a label with a comma never breaks a CSV.
 */

/** A cell: text as is, a number in full precision (format it first for display), or empty. */
export type Cell = string | number | undefined;

/** Rows of cells under a header. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

/** The formats {@link renderTable} writes. */
export type TableFormat = 'markdown' | 'html' | 'csv' | 'text';

function text(cell: Cell): string {
  return cell === undefined ? '' : typeof cell === 'number' ? String(cell) : cell;
}

/** `value` as HTML text or attribute: `&`, `<`, `>` and `"` escaped (tables, the HTML report). */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** `table` in `format` (see the file comment); Markdown escapes `|` inside cells. */
export function renderTable(table: Table, format: TableFormat): string {
  const rows = table.rows.map((row) => table.header.map((_, k) => text(row[k])));
  switch (format) {
    case 'markdown': {
      const line = (cells: readonly string[]) =>
        `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
      return [
        line(table.header),
        `|${table.header.map(() => '---').join('|')}|`,
        ...rows.map(line),
      ].join('\n');
    }
    case 'html': {
      const line = (cells: readonly string[], tag: string) =>
        `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
      return `<table><thead>${line(table.header, 'th')}</thead><tbody>${rows.map((r) => line(r, 'td')).join('')}</tbody></table>`;
    }
    case 'csv':
      return (
        [table.header, ...rows].map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n'
      );
    case 'text': {
      const widths = table.header.map((h, k) =>
        Math.max(h.length, ...rows.map((r) => r[k].length)),
      );
      const line = (cells: readonly string[]) =>
        cells
          .map((c, k) => c.padEnd(widths[k]))
          .join('  ')
          .trimEnd();
      return [line(table.header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join(
        '\n',
      );
    }
  }
}

/** Parses CSV as {@link renderTable} writes it (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && csv[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

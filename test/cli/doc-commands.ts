/**
 * The command lines a Markdown document shows: every `reglab <command> …` line of its code blocks
 * (fenced or indented, `\` continuations joined, `npx`, `$ ` and trailing `# comments` dropped),
 * and every code line or inline code span of spec flags (`--track mi:kde`, `--reg per:1e-4`),
 * read as flags of `reglab train` (up to the first word that is neither a known flag nor its
 * value: the prose beside a flag in a list) and completed into a command (`completeFragment`). Lines with placeholders (`…`, `[--optional]`,
 * `<value>`, `λ`, `a|b` choices outside quotes) are not commands and are left out.
 */

/** One command line: the arguments after `reglab`, and where it was found. */
export interface DocCommand {
  readonly args: string[];
  readonly source: string;
}

const COMMANDS = ['train', 'compare', 'demo', 'pretrain', 'reconstruct', 'svd', 'report'];
/** `reglab train` flags that a flag-only line may show, and whether each takes a value. */
const TRAIN_FLAGS: Readonly<Record<string, boolean>> = {
  '--reg': true,
  '--track': true,
  '--optimizer': true,
  '--constraint': true,
  '--model': true,
  '--transfer': true,
  '--activation': true,
  '--track-activations': false,
  '--batch-norm': false,
  '--raw-pixels': false,
};

/** Splits a shell line into words, honouring single and double quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let end = -1;
  for (const match of line.matchAll(/'([^']*)'|"([^"]*)"|([^\s'"]+)/g)) {
    const part = match[1] ?? match[2] ?? match[3];
    // a part that touches the previous one continues its word (--method='a b')
    if (match.index === end && words.length > 0) words.push((words.pop() as string) + part);
    else words.push(part);
    end = match.index + match[0].length;
  }
  return words;
}

/** Drops a trailing `# comment` that is outside quotes. */
function dropComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Whether a line shows a placeholder instead of a real value. */
function hasPlaceholder(line: string): boolean {
  const unquoted = line.replace(/'[^']*'|"[^"]*"/g, '');
  return /…|\[-|\||<\w+>|λ/.test(unquoted) || /\bDIR\b|\bNAME\b|\bFILE\b/.test(unquoted);
}

/** The code lines of a Markdown text: fenced blocks and 4-space indented blocks, continuations joined. */
function codeLines(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  let inIndented = false;
  let previousBlank = true;
  for (const raw of markdown.split('\n')) {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    const indented = /^ {4}/.test(raw);
    if (fenced || (indented && (previousBlank || inIndented))) {
      lines.push(raw.trim());
      inIndented = !fenced;
    } else inIndented = false;
    previousBlank = raw.trim() === '';
  }
  const joined: string[] = [];
  let pending = '';
  for (const line of lines) {
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    joined.push(pending + line);
    pending = '';
  }
  return joined;
}

/** The known train flags (and their values) at the start of `words`. */
function leadingFlags(words: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < words.length && words[i] in TRAIN_FLAGS; i++) {
    flags.push(words[i]);
    if (TRAIN_FLAGS[words[i]] && i + 1 < words.length) flags.push(words[++i]);
  }
  return flags;
}

/**
 * A flag-only line is a fragment of a `reglab train` command: completed with what it needs to
 * be checked as a whole — a Langevin optimizer for constraint rules, the zoo's `cnn` for
 * targets named `conv_…`, its tiny ResNet for targets named `stage…` or `stem_…`.
 */
function completeFragment(flags: string[]): string[] {
  const completed = [...flags];
  if (flags.includes('--constraint') && !flags.includes('--optimizer'))
    completed.push('--optimizer', 'cola-ud:h=0.3:gamma=1:tau=0');
  if (flags.some((flag) => /stage|stem_/.test(flag)) && !flags.includes('--model'))
    completed.push('--model', 'resnet:8');
  else if (flags.some((flag) => flag.includes('conv_')) && !flags.includes('--model'))
    completed.push('--model', 'cnn');
  return completed;
}

/** The `reglab` command lines and flag-only lines of a Markdown document named `source`. */
export function docCommands(markdown: string, source: string): DocCommand[] {
  const found: DocCommand[] = [];
  const add = (text: string) => {
    const line = dropComment(text).trim();
    if (line === '' || hasPlaceholder(line)) return;
    const words = shellWords(line);
    const at = words[0] === 'npx' ? 1 : 0;
    if (words[at] === 'reglab' && COMMANDS.includes(words[at + 1])) {
      found.push({ args: words.slice(at + 1), source });
    } else if (words[0] in TRAIN_FLAGS) {
      found.push({ args: ['train', ...completeFragment(leadingFlags(words))], source });
    }
  };
  for (const line of codeLines(markdown)) add(line.replace(/^\$ /, ''));
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  for (const match of prose.matchAll(/`(--(?:reg|track|optimizer|constraint) [^`]+)`/g))
    add(match[1]);
  return found;
}

/** An inline code span that is one bare spec (`racecar:mean:1e-2`, `mi:kde@dense_1`). */
export interface DocSpec {
  readonly text: string;
  readonly source: string;
}

/**
 * The inline code spans of `markdown` that are one spec of a factory in `names` (a name, then
 * `:` or `@`, no spaces, no placeholder).
 */
export function docSpecs(markdown: string, source: string, names: readonly string[]): DocSpec[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  const specs: DocSpec[] = [];
  for (const match of prose.matchAll(/`([a-z][\w-]*)([:@][^`\s]*)`/g)) {
    const text = match[1] + match[2];
    if (names.includes(match[1]) && !hasPlaceholder(text)) specs.push({ text, source });
  }
  return specs;
}

/**
 * Plain file IO for Node: atomic writes, existence checks and JSON reads with named errors.
 *
 * Every write goes to a temporary file in the same folder and is renamed over the target, so
 * a crash mid-write never leaves a half-written checkpoint or model behind; only an orphan
 * `<file>.<pid>.<time>.tmp`, which {@link removeTemporaries} deletes when the folder's next
 * writer starts.
 *
 * Crash tests: `REGLAB_CRASH_AT=<point>[#n]` makes the process kill itself (SIGKILL, no clean-up)
 * the n-th time (default the first) it reaches {@link crashPoint}`(<point>)`. Points:
 * `rename:<file name>` (temporary written, not yet renamed), and those the writers name
 * (`checkpoint:written`, `checkpoint:committed`, `metrics:written`, see train/checkpoint.ts and
 * lab/run.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ReglabError } from './errors.js';

/** Writes `data` to `file` atomically (temp file + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temporary, data);
  crashPoint(`rename:${path.basename(file)}`);
  await fs.rename(temporary, file);
}

/** Whether a file name is one of {@link writeFileAtomic}'s temporaries. */
const TEMPORARY = /\.\d+\.\d+\.tmp$/;

/**
 * Deletes the temporaries an interrupted {@link writeFileAtomic} left in `dir` (not below it);
 * returns their names. Call it only as the folder's one writer (lab/run-folder.ts locks first).
 */
export async function removeTemporaries(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const orphans = names.filter((name) => TEMPORARY.test(name));
  for (const name of orphans) await fs.rm(path.join(dir, name), { force: true });
  return orphans;
}

const reached = new Map<string, number>();

/** The crash-test hook (see the file comment): kills the process here when asked to. */
export function crashPoint(point: string): void {
  const wanted = process.env.REGLAB_CRASH_AT;
  if (!wanted) return;
  const [name, count = '1'] = wanted.split('#');
  if (name !== point) return;
  const times = (reached.get(point) ?? 0) + 1;
  reached.set(point, times);
  if (times === Number(count)) process.kill(process.pid, 'SIGKILL');
}

/** Whether `file` (or folder) exists. */
export async function pathExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Reads and parses a JSON file, with an error naming the file when it is missing or corrupt. */
export async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ReglabError(`cannot read ${file}`, 'check the path (is it a reglab run folder?)');
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ReglabError(
      `${file} is not valid JSON (${(err as Error).message})`,
      'the file is corrupt; re-create it',
    );
  }
}

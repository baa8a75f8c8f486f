/**
 * Plain file IO for Node: atomic writes, existence checks and JSON reads with named errors.
 *
 * Every write goes to a temporary file in the same folder and is renamed over the target, so
 * a crash mid-write never leaves a half-written checkpoint or model behind.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ReglabError } from './errors.js';

/** Writes `data` to `file` atomically (temp file + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temporary, data);
  await fs.rename(temporary, file);
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

/**
 * One writer per folder: a run folder, a pretrain stack or an experiment folder is locked while a
 * process writes it, so two runs of the same command (a re-run while the first still trains, two
 * sweeps over one folder) cannot interleave their checkpoints.
 *
 * The lock is the file `<dir>/.lock`, created exclusively (`open(…, 'wx')`) and holding
 * `{pid, host, since}`. It is deleted when the writer is done, and when the process exits
 * (an `exit` handler; a process ended by a signal — SIGKILL, an unhandled SIGINT — runs none). A lock left by a dead process is *stale* and taken
 * over: on the same host when no process has its pid (`kill(pid, 0)` fails with ESRCH); a lock
 * of another host cannot be checked and is never taken over (the error says how to remove it).
 * The takeover renames the stale file away (only one of two racing takers can rename it), then
 * creates the lock afresh.
 */
import { closeSync, openSync, promises as fs, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ReglabError } from './errors.js';
import { integer, object, parseChecked, string } from './schema.js';

/** The lock file's name inside a locked folder. */
export const LOCK_FILE = '.lock';

const LockInfo = object({ pid: integer, host: string, since: string });

/** A held lock; {@link FolderLock.release} deletes it. */
export interface FolderLock {
  readonly file: string;
  /** Deletes the lock (idempotent). */
  release(): Promise<void>;
}

const held = new Set<string>();
let exitHandler = false;

/** Removes the locks this process still holds when it exits (not on SIGKILL: stale, see above). */
function releaseAllOnExit(): void {
  if (exitHandler) return;
  exitHandler = true;
  process.on('exit', () => {
    for (const file of held) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  });
}

/** Whether a process with this pid runs on this host. */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // kill(0 or −n) would signal groups
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Locks `dir` (created if missing) for writing. `what` names the folder in messages
 * ("run folder", "experiment folder").
 * @throws ReglabError when a live process (or one on another host) holds the lock.
 */
export async function lockFolder(dir: string, what = 'folder'): Promise<FolderLock> {
  const file = path.join(dir, LOCK_FILE);
  await fs.mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new ReglabError(
      `cannot create the ${what} ${dir} (${err.code ?? err.message})`,
      'choose an --out that is a writable folder (or a path that does not exist yet)',
    );
  });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) {
      held.add(file);
      releaseAllOnExit();
      return {
        file,
        async release() {
          if (!held.delete(file)) return;
          await fs.rm(file, { force: true });
        },
      };
    }
    const owner = await readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner.host !== hostname())
      throw new ReglabError(
        `the ${what} ${dir} is in use by process ${owner.pid} on host ${owner.host} (since ${owner.since})`,
        `wait for it to finish; if no reglab runs there any more, delete ${file}`,
      );
    if (processAlive(owner.pid))
      throw new ReglabError(
        `the ${what} ${dir} is in use by process ${owner.pid} (since ${owner.since})`,
        'wait for it to finish or stop it (its finished epochs are kept), or choose another --out',
      );
    await takeOver(file, owner.pid);
  }
  throw new ReglabError(
    `could not lock the ${what} ${dir}`,
    'another process keeps taking it; try again',
  );
}

/**
 * Moves a stale lock (of the dead `pid`) out of the way. Of two racing takers only one can
 * rename the file; should the renamed file turn out to be a newer lock (the other taker was
 * faster), it is put back.
 */
async function takeOver(file: string, pid: number): Promise<void> {
  const away = `${file}.stale.${process.pid}`;
  if (
    !(await fs.rename(file, away).then(
      () => true,
      () => false,
    ))
  )
    return;
  const moved = await readOwner(away);
  if (moved && moved.pid !== pid) await fs.link(away, file).catch(() => undefined);
  await fs.rm(away, { force: true });
}

/** Creates the lock file exclusively; false when it exists. */
function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ReglabError(
      `cannot write the lock ${file} (${(err as NodeJS.ErrnoException).code})`,
      'choose an --out in a writable place',
    );
  }
  const info = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  try {
    writeSync(fd, JSON.stringify(info));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's owner; undefined when the file is gone. A damaged lock counts as stale. */
async function readOwner(
  file: string,
): Promise<{ pid: number; host: string; since: string } | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return parseChecked(file, JSON.parse(text), LockInfo);
  } catch {
    // written half-way by a process killed between open and write: nobody holds it
    return { pid: -1, host: hostname(), since: 'unknown' };
  }
}

/**
 * The coordinator's lock: one `compare --queue` per experiment. A Redis key holding who owns
 * it, set only if absent and with a time to live, renewed at a third of it while the
 * coordinator lives; released at the end. A coordinator that dies without releasing it (kill
 * -9, a lost machine) blocks the experiment for at most one TTL.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { ReglabError } from '../../core/errors.js';
import { lockKey } from './jobs.js';

/** Default time to live of the lock (ms). */
export const DEFAULT_LOCK_TTL_MS = 30_000;

/** Extends the key's TTL only while it still holds our token. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the key only while it still holds our token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Who holds a lock (stored as its value). */
interface Owner {
  coordinator: string;
  out: string;
  since: string;
}

/** A held coordinator lock. */
export class CoordinatorLock {
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly token: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes the lock of `experiment`, or refuses with who holds it. While held, the lock is
   * renewed; `onLost` is called if a renewal finds it gone (expired and taken by another).
   */
  static async acquire(
    redis: Redis,
    experiment: string,
    {
      out,
      ttlMs = DEFAULT_LOCK_TTL_MS,
      onLost,
    }: { out: string; ttlMs?: number; onLost: (err: ReglabError) => void },
  ): Promise<CoordinatorLock> {
    const key = lockKey(experiment);
    const owner: Owner = {
      coordinator: `${hostname()}:${process.pid}`,
      out,
      since: new Date().toISOString(),
    };
    const token = JSON.stringify(owner);
    if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
      const holder = parseOwner(await redis.get(key));
      throw new ReglabError(
        `experiment ${experiment} is already being run by another coordinator (${holder ? `${holder.coordinator}, folder ${holder.out}, since ${holder.since}` : 'unknown'})`,
        `wait for it to finish (reglab queue status shows its progress); if it died, its lock expires within ${Math.ceil(ttlMs / 1000)} s`,
      );
    }
    const lock = new CoordinatorLock(redis, key, token, ttlMs);
    lock.timer = setInterval(() => {
      lock.renew().then(
        (held) => {
          if (!held)
            onLost(
              new ReglabError(
                `lost the lock of experiment ${experiment}: another coordinator took it`,
                'only one reglab compare may run an experiment; run it again when the other has finished',
              ),
            );
        },
        () => {}, // a connection error: the coordinator's own watchdog reports it
      );
    }, ttlMs / 3);
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  /** Stops renewing and deletes the lock (if it is still ours). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}

function parseOwner(text: string | null): Owner | undefined {
  try {
    return text ? (JSON.parse(text) as Owner) : undefined;
  } catch {
    return undefined;
  }
}

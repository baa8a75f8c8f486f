/**
 * Helpers of the queue tests: a private `redis-server` on 127.0.0.1 at a free port in a
 * temporary folder (no persistence), and `reglab worker` processes in their own process
 * groups (so SIGKILL takes their sandboxed children too, as a lost machine would).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  /** `redis://[:password@]127.0.0.1:port`. */
  url: string;
  /** Stops the server (SIGKILL: it keeps nothing anyway). */
  stop(): Promise<void>;
}

/** Starts `redis-server` (optionally with a password) and waits until it answers. */
export async function startRedis(
  options: { port?: number; password?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir);
  if (options.password) args.push('--requirepass', options.password);
  const server = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const auth = options.password ? `:${options.password}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch (err) {
      client.disconnect();
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    url,
    async stop() {
      server.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  process: ChildProcess;
  /** Its name on the queue (`host:pid`), from its first line. */
  name: string;
  lines: string[];
  /** Sends `signal` to its whole process group. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `reglab worker --queue url` in its own process group and waits until it listens. */
export async function startWorker(
  url: string,
  { concurrency = 1, stallMs = 1000 } = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'worker',
      '--queue',
      url,
      '--concurrency',
      String(concurrency),
      '--stall-ms',
      String(stallMs),
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const name = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const match = /^worker (\S+): /.exec(line);
        if (match) resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${lines.join('\n')}`)));
  });
  return {
    process: child,
    name,
    lines,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, signal);
      await exited;
    },
  };
}

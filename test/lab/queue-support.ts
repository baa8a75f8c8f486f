/**
 * Helpers of the queue tests: a private `redis-server` on 127.0.0.1 at a free port in a
 * temporary folder (no persistence), and `reglab worker` processes in their own process
 * groups (so SIGKILL takes their sandboxed children too, as a lost machine would).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

/**
 * Starts `redis-server` (optionally with a password, or TLS only with a certificate and key in
 * PEM files) and waits until it answers.
 */
export async function startRedis(
  options: { port?: number; password?: string; tls?: { cert: string; key: string } } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-redis-'));
  const { tls } = options;
  const args = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  if (tls) args.push('--tls-cert-file', tls.cert, '--tls-key-file', tls.key);
  if (tls) args.push('--tls-ca-cert-file', tls.cert);
  args.push('--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir);
  if (options.password) args.push('--requirepass', options.password);
  const server = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const started = new Promise<never>((_, reject) =>
    server.once('error', (err) =>
      reject(new Error(`cannot start redis-server (${err.message}): apt-get install redis-server`)),
    ),
  );
  started.catch(() => {});
  const auth = options.password ? `:${options.password}@` : '';
  const url = `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const client = new Redis(url, {
      lazyConnect: true,
      retryStrategy: () => null,
      tls: tls ? { ca: await readFile(tls.cert) } : undefined,
    });
    client.on('error', () => {});
    try {
      await Promise.race([client.connect().then(() => client.ping()), started]);
      client.disconnect();
      break;
    } catch (err) {
      client.disconnect();
      if (tries > 100 || server.exitCode !== null) throw err;
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
  /** Sends `signal` to its whole process group (to the worker alone when not detached). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `reglab worker --queue url` and waits until it listens. `detached` (default) gives it
 * its own process group, so {@link WorkerProcess.kill} takes its cell's process too; but also its
 * own session, which Linux's autogroup scheduler gives a CPU share of its own: timings (bench/)
 * use `detached: false`, so workers and local runs compete for the CPU alike.
 */
export async function startWorker(
  url: string,
  { concurrency = 1, stallMs = 1000, detached = true } = {},
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
    { detached, stdio: ['ignore', 'pipe', 'pipe'] },
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
      process.kill(detached ? -child.pid! : child.pid!, signal);
      await exited;
    },
  };
}

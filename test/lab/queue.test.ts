import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { canonicalExperiment, compare, type CompareOutcome } from '../../src/lab/compare.js';
import { expandMatrix, type ExperimentConfig } from '../../src/lab/matrix.js';
import { queueExecutor, type QueueProgress } from '../../src/lab/queue/executor.js';
import { queueStatus } from '../../src/lab/queue/status.js';
import { startQueueWorker } from '../../src/lab/queue/worker.js';
import { explainRedisError, parseQueueUrl, redisOptions } from '../../src/lab/queue/connection.js';
import { encodeFiles, lockKey } from '../../src/lab/queue/jobs.js';
import {
  freePort,
  startRedis,
  startWorker,
  type RedisServer,
  type WorkerProcess,
} from './queue-support.js';
import { useBackend } from '../support.js';
import { buildProgram } from '../../src/cli/main.js';

before(() => useBackend());

// Tiny cells: 40 samples, a 4-unit MLP, one epoch.
const base: ExperimentConfig['base'] = {
  dataset: 'peak',
  trainSize: 40,
  testSize: 40,
  model: 'mlp:4',
  epochs: 1,
  batchSize: 20,
  optimizer: 'adam',
  lr: 1e-3,
};
const methods: ExperimentConfig['methods'] = [
  { label: 'std', regs: [] },
  { label: 'l2act:1e-3', regs: ['l2act:1e-3'] },
];
const sweep: ExperimentConfig = { base, methods, seeds: [1, 2, 3] };
// Short polls and give-ups keep the failure tests to seconds.
const fast = { pollMs: 100, giveUpMs: 2000, lockTtlMs: 3000 };

const temporary: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-queue-'));
  temporary.push(dir);
  return dir;
}
const quiet = { backend: 'cpu' as const, log: () => {} };
const read = (dir: string, file: string) => readFile(path.join(dir, file));

let redis: RedisServer;
const workers: WorkerProcess[] = [];

before(async () => {
  redis = await startRedis();
});

after(async () => {
  for (const worker of workers) await worker.kill();
  await redis?.stop();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

test('queue URLs: password, database, TLS, masked in messages', () => {
  const address = parseQueueUrl('rediss://:p%40ss@cache.example:6380/2');
  assert.deepEqual(
    { ...address },
    {
      host: 'cache.example',
      port: 6380,
      db: 2,
      username: undefined,
      password: 'p@ss',
      tls: true,
      display: 'rediss://:***@cache.example:6380/2',
    },
  );
  assert.deepEqual(redisOptions(address).tls, { servername: 'cache.example' });
  assert.equal(redisOptions(parseQueueUrl('redis://127.0.0.1')).tls, undefined);
  assert.equal(parseQueueUrl('redis://127.0.0.1').port, 6379);
  assert.throws(() => parseQueueUrl('http://host:6379'), /scheme http, not redis or rediss/);
  assert.throws(() => parseQueueUrl('redis://host:6379/x'), /names database "x"/);
  const refused = explainRedisError(
    address,
    Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  );
  assert.match(
    refused.message,
    /rediss:\/\/:\*\*\*@cache.example:6380\/2: connection refused.*port 6380/,
  );
  assert.doesNotMatch(refused.message, /p@ss/);
  assert.match(
    explainRedisError(address, new Error('WRONGPASS invalid username-password pair')).message,
    /refused the login.*redis:\/\/:PASSWORD@host:port/,
  );
});

test('the result cap: files over it are a named error', () => {
  const files = { 'weights.bin': new Uint8Array(3 * 2 ** 20), 'model.json': new Uint8Array(10) };
  assert.throws(
    () => encodeFiles(files, 2 * 2 ** 20),
    /3.0 MiB \(weights.bin 3.0 MiB\), over the queue's cap of 2.0 MiB/,
  );
  assert.deepEqual(Object.keys(encodeFiles(files, 4 * 2 ** 20)), ['weights.bin', 'model.json']);
});

/** `compare` on the test queue, with its log lines. */
async function queued(experiment: ExperimentConfig, out: string) {
  const lines: string[] = [];
  const executor = queueExecutor({ url: redis.url, ...fast });
  const outcome = await compare(experiment, { ...quiet, out, log: (l) => lines.push(l), executor });
  return { outcome, lines };
}

/** At least `n` running workers (the earlier tests' or new ones). */
async function liveWorkers(n: number): Promise<WorkerProcess[]> {
  const alive = () =>
    workers.filter((w) => w.process.exitCode === null && w.process.signalCode === null);
  while (alive().length < n) workers.push(await startWorker(redis.url, { stallMs: 2000 }));
  return alive();
}

const trainingLines = () =>
  workers.flatMap((w) => w.lines).filter((l) => /: training$/.test(l)).length;

test('two workers finish a sweep whose table equals the local run byte for byte; a worker killed mid-cell loses nothing; a re-run trains nothing', async () => {
  const localOut = await folder();
  await compare(sweep, { ...quiet, out: localOut, workers: 2 });
  const stallMs = 2000;
  const [doomed, ...survivors] = [
    await startWorker(redis.url, { stallMs }),
    await startWorker(redis.url, { stallMs }),
    await startWorker(redis.url, { stallMs }),
  ];
  workers.push(doomed, ...survivors);
  const out = await folder();
  const progress: QueueProgress[] = [];
  let killedCell: string | undefined;
  const onProgress = (p: QueueProgress) => {
    progress.push(p);
    if (
      killedCell === undefined &&
      p.workers.some((w) => w.name === doomed.name && w.running > 0)
    ) {
      killedCell = /^(\S+) \(experiment/.exec(
        doomed.lines.filter((l) => /: training$/.test(l)).at(-1)!,
      )![1];
      void doomed.kill('SIGKILL');
    }
  };
  const executor = queueExecutor({ url: redis.url, ...fast, onProgress });
  const outcome = await compare(sweep, { ...quiet, out, executor });
  assert.ok(killedCell, 'the doomed worker was killed while training a cell');
  assert.deepEqual(
    outcome.cells.map((c) => c.status),
    Array(6).fill('done'),
  );
  assert.equal(
    (await read(out, 'results.md')).toString(),
    (await read(localOut, 'results.md')).toString(),
  );
  for (const cell of outcome.cells)
    for (const file of ['weights.bin', 'model.json', 'config.json', 'metrics.jsonl'].slice(0, 3))
      assert.ok(
        (await read(out, `${cell.cell.id}/${file}`)).equals(
          await read(localOut, `${cell.cell.id}/${file}`),
        ),
        `${cell.cell.id}/${file} as the local run's`,
      );
  const last = progress.at(-1)!;
  assert.equal(last.done, 6);
  assert.deepEqual(
    last.workers
      .filter((w) => w.done > 0)
      .map((w) => w.name)
      .sort(),
    survivors.map((w) => w.name).sort(),
    `the two surviving workers trained every cell, ${killedCell} too`,
  );
  // Everything collected: the queue holds no job of it any more.
  assert.deepEqual((await queueStatus(redis.url)).cells, []);

  const trained = trainingLines();
  const { outcome: again, lines } = await queued(sweep, out);
  assert.deepEqual(
    again.cells.map((c) => c.status),
    Array(6).fill('cached'),
  );
  assert.ok(
    lines.some((l) => /0 cell\(s\) enqueued, 0 adopted/.test(l)),
    lines.join('\n'),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(trainingLines(), trained, 'no worker trained anything');
});

test('a transfer starts from its run: in one flow, or from the run finished before; as locally', async () => {
  await liveWorkers(2);
  const experiment: ExperimentConfig = {
    base,
    methods: [methods[0]],
    seeds: [1],
    transfer: { variant: 'rotate:45', epochs: 1 },
  };
  const localOut = await folder();
  await compare(experiment, { ...quiet, out: localOut, workers: 1 });
  const out = await folder();
  const same = async (id: string) => {
    for (const file of ['weights.bin', 'model.json'])
      assert.ok(
        (await read(out, `${id}/${file}`)).equals(await read(localOut, `${id}/${file}`)),
        `${id}/${file}`,
      );
    const config = JSON.parse((await read(out, `${id}/config.json`)).toString());
    const local = JSON.parse((await read(localOut, `${id}/config.json`)).toString());
    if (local.init) {
      assert.equal(
        config.init,
        path.join(out, 'std-s1'),
        'the transfer records its run folder here',
      );
      local.init = config.init;
    }
    assert.deepEqual(config, local);
  };
  const executor = () => queueExecutor({ url: redis.url, ...fast });
  const first = await compare(experiment, { ...quiet, out, executor: executor() });
  assert.deepEqual(
    first.cells.map((c) => c.status),
    ['done', 'done'],
  );
  await same('std-s1');
  await same('std-s1-transfer');
  // The run finished before: the transfer's job carries its weights.
  await rm(path.join(out, 'std-s1-transfer'), { recursive: true });
  const second = await compare(experiment, { ...quiet, out, executor: executor() });
  assert.deepEqual(
    second.cells.map((c) => c.status),
    ['cached', 'done'],
  );
  await same('std-s1-transfer');
});

test('a coordinator that stops early leaves its cells to the workers; the next run adopts them', async () => {
  await liveWorkers(1);
  const experiment = canonicalExperiment({ base, methods: [methods[0]], seeds: [8, 9] });
  const out = await folder();
  const started = trainingLines();
  const early = await queueExecutor({ url: redis.url, ...fast })({
    experiment,
    cells: expandMatrix(experiment),
    finished: new Map(),
    out,
    backend: 'cpu',
    log: () => {},
  });
  await early.close?.(); // before any cell ended: the jobs stay on the queue
  const { outcome, lines } = await queued(experiment, out);
  assert.deepEqual(
    outcome.cells.map((c) => c.status),
    ['done', 'done'],
  );
  assert.ok(
    lines.some((l) => /0 cell\(s\) enqueued, 2 adopted/.test(l)),
    lines.join('\n'),
  );
  assert.equal(trainingLines() - started, 2, 'each cell trained once');
});

test('a second coordinator on the same experiment is refused; a cell failing three times is reported', async () => {
  const diverging: ExperimentConfig = {
    base,
    // A learning rate this large overflows to a non-finite loss on every attempt.
    methods: [{ label: 'diverges', regs: [], optimizer: 'sgd', lr: 1e38 }],
    seeds: [7],
  };
  await liveWorkers(2);
  const client = new Redis(redis.url);
  try {
    const first = compare(diverging, {
      ...quiet,
      out: await folder(),
      executor: queueExecutor({ url: redis.url, ...fast }),
    });
    while ((await client.keys(lockKey('*'))).length === 0)
      await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(
      compare(diverging, {
        ...quiet,
        out: await folder(),
        executor: queueExecutor({ url: redis.url, ...fast }),
      }),
      /experiment \w+ is already being run by another coordinator .*its lock expires within 3 s/,
    );
    const status = await queueStatus(redis.url);
    assert.equal(status.experiments.length, 1);
    assert.match(status.experiments[0].coordinator ?? '', /:\d+$/);
    assert.deepEqual(
      status.cells.map((c) => c.cell),
      ['diverges-s7'],
    );
    assert.ok(status.workers.length >= 2, JSON.stringify(status.workers));
    const outcome: CompareOutcome = await first;
    assert.equal(outcome.failed.length, 1);
    assert.match(outcome.failed[0].error ?? '', /loss became.*\(3 attempts, last on \S+:\d+\)/);
    assert.match(outcome.table.markdown, /\| diverges \| train \| 0 \(1 failed\) \|/);
    assert.deepEqual(await client.keys(lockKey('*')), [], 'the lock is released');
  } finally {
    client.disconnect();
  }
});

test('a server that goes away mid-sweep gives a clear error and the re-run completes', async () => {
  await liveWorkers(2);
  const experiment: ExperimentConfig = { base, methods: [methods[0]], seeds: [4, 5, 6] };
  const out = await folder();
  let killed: Promise<void> | undefined;
  const executor = queueExecutor({
    url: redis.url,
    ...fast,
    onProgress: (p) => {
      if (p.done >= 1 && !killed) killed = redis.stop();
    },
  });
  const url = redis.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  await assert.rejects(
    compare(experiment, { ...quiet, out, executor }),
    new RegExp(
      `lost the queue: Redis at ${url} has not answered for 2 s .*check that redis-server is still running there; then run the same command again`,
    ),
  );
  await killed;
  redis = await startRedis({ port: redis.port });
  const outcome = await compare(experiment, {
    ...quiet,
    out,
    executor: queueExecutor({ url: redis.url, ...fast }),
  });
  const statuses = outcome.cells.map((c) => c.status);
  assert.ok(statuses.includes('cached') && !statuses.includes('failed'), statuses.join());
  assert.equal(outcome.table.rows[0].accuracy?.n, 3);
});

test('wrong port or password: errors that name the URL and what to check; a password in the URL works', async () => {
  const closed = `redis://127.0.0.1:${await freePort()}`;
  const refused = new RegExp(
    `cannot reach Redis at ${closed.replace(/[./]/g, '\\$&')}: connection refused — is redis-server running on 127.0.0.1, and on port \\d+\\?`,
  );
  await assert.rejects(
    compare(sweep, { ...quiet, out: await folder(), executor: queueExecutor({ url: closed }) }),
    refused,
  );
  await assert.rejects(startQueueWorker({ url: closed, log: () => {} }), refused);

  const cli = (args: string[]) =>
    buildProgram({ throwOnError: true, writeErr: () => {} }).parseAsync([
      'node',
      'reglab',
      ...args,
    ]);
  const out = await folder();
  await assert.rejects(
    cli(['compare', '--queue', 'http://127.0.0.1:6379', '--out', out]),
    /scheme http, not redis/,
  );
  await assert.rejects(
    cli(['compare', '--queue', closed, '--workers', '2', '--out', out]),
    /--workers sets how many runs train on this machine, but --queue sends them to the queue/,
  );
  assert.deepEqual(await readdir(out), [], 'nothing written before the flags are checked');
  await assert.rejects(cli(['worker', '--queue', closed]), refused);
  await assert.rejects(cli(['queue', 'status', '--queue', closed]), refused);

  const secured = await startRedis({ password: 's3cr@t' });
  try {
    const url = `redis://:s3cr%40t@127.0.0.1:${secured.port}`;
    const wrong = `redis://:nope@127.0.0.1:${secured.port}`;
    await assert.rejects(
      queueStatus(wrong),
      (err: Error) => /refused the login/.test(err.message) && !err.message.includes('nope'),
    );
    await assert.rejects(
      queueStatus(`redis://127.0.0.1:${secured.port}`),
      /refused the login.*redis:\/\/:PASSWORD@host:port/,
    );
    const worker = await startQueueWorker({ url, concurrency: 1, log: () => {} });
    try {
      const outcome = await compare(
        { base, methods: [methods[0]], seeds: [1] },
        { ...quiet, out: await folder(), executor: queueExecutor({ url, ...fast }) },
      );
      assert.deepEqual(
        outcome.cells.map((c) => c.status),
        ['done'],
      );
    } finally {
      await worker.close();
    }
  } finally {
    await secured.stop();
  }
});

test('rediss:// (TLS) works with a trusted certificate; untrusted or plain redis:// are explained', async (t) => {
  if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not found');
  const dir = await folder();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    ...[
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  assert.equal(made.status, 0, made.stderr?.toString());
  const server = await startRedis({ tls: { cert, key } });
  try {
    // Node reads NODE_EXTRA_CA_CERTS at start: the trusted case runs the CLI in a process.
    const trusted = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'queue', 'status', '--queue', server.url],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, encoding: 'utf8' },
    );
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.match(trusted.stdout, /experiments \(0\)[\s\S]*workers \(0\)/);
    await assert.rejects(
      queueStatus(server.url),
      /TLS with Redis at rediss:\/\/127\.0\.0\.1:\d+ failed .*self.signed/,
    );
    await assert.rejects(
      queueStatus(server.url.replace('rediss:', 'redis:')),
      /closed the connection .*write rediss:\/\/ instead of redis:\/\//,
    );
  } finally {
    await server.stop();
  }
});

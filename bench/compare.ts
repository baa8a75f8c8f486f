/**
 * `npm run bench:compare -- [--device cpu|gpu] [--sides wasm,native,torch] [--groups mlp,cnn]
 *   [--variants std,rr,…] [--rounds 5] [--seconds 2] [--order case|side] [--quick]`
 *
 * reglab and PyTorch side by side, in one run on one machine: the same models (zoo `mlp:256,256`
 * and `cnn`, Glorot-uniform kernels, zero biases; `resnet:20` with He-normal kernels and batch
 * norm, group `resnet`, not run by default), batch, data shape, optimizer (momentum SGD,
 * lr 0.01, μ 0.9) and methods (Std, RR, PER, DR, SRIP, circle and orthogonal Langevin; the
 * PyTorch versions in bench/pytorch/methods.py are written from reglab's formulas).
 *
 * Every side is a long-lived worker process (bench/compare-worker.ts per reglab backend,
 * bench/pytorch/worker.py with Debian's /usr/bin/python3 at one thread); the runner asks them
 * in turn for timed blocks of training steps: per round, for every case, every side once (the
 * order rotates per round), so load changes on a shared machine hit all sides alike; with
 * `--order side`, every case of one side in a row instead, so a method's block sits next to
 * its Std block (the method ÷ Std ratio is then the one measured closest in time). Reported:
 * samples/s per side (median and range over rounds), the reglab / PyTorch ratio of each round
 * (median and range), and each method's step time over Std on the same side (median and range).
 * PyTorch missing → its side is skipped with the reason; the native addon missing → likewise.
 *
 * Sides: `wasm`, `native`, `native-builtin` (REGLAB_NATIVE_GEMM=builtin), `cpu`, `webgpu`,
 * `tensorflow`, `torch` (CPU, or CUDA with --device gpu); `<backend>@<dir>` is that backend in
 * the reglab checkout at `<dir>` (e.g. an older commit, for before/after ratios in one run).
 * Writes bench/results/compare-<device>.{json,md}.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchModel } from './cases.js';
import { num } from './harness.js';

type Reply = { ok: boolean; error?: string } & Record<string, unknown>;

/** A worker process that answers one request at a time. */
interface Side {
  name: string;
  info: Record<string, unknown>;
  request(message: Record<string, unknown>): Promise<Reply>;
  close(): void;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function argument(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** Answers to requests, in order, from a stream of replies. */
function replyQueue(): {
  push(reply: Reply): void;
  next(): Promise<Reply>;
  fail(why: string): void;
} {
  const replies: Reply[] = [];
  const waiting: ((reply: Reply) => void)[] = [];
  let failure: string | undefined;
  return {
    push(reply) {
      const resolve = waiting.shift();
      if (resolve) resolve(reply);
      else replies.push(reply);
    },
    next() {
      if (replies.length) return Promise.resolve(replies.shift()!);
      if (failure) return Promise.resolve({ ok: false, error: failure });
      return new Promise((resolve) => waiting.push(resolve));
    },
    fail(why) {
      failure = why;
      for (const resolve of waiting.splice(0)) resolve({ ok: false, error: why });
    },
  };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
}

/**
 * A reglab worker on one backend (a child Node process talking over IPC). `native@../old`
 * runs the worker of another checkout of reglab (its own src/ and native build) on that
 * backend: before/after comparisons in one interleaved run.
 */
async function reglabSide(name: string): Promise<Side | string> {
  const [sideBackend, tree] = name.split('@');
  const backend = sideBackend === 'native-builtin' ? 'native' : sideBackend;
  const env = {
    ...process.env,
    ...(sideBackend === 'native-builtin' ? { REGLAB_NATIVE_GEMM: 'builtin' } : {}),
  };
  const worker = tree
    ? path.join(path.resolve(tree), 'bench/compare-worker.ts')
    : here('./compare-worker.ts');
  if (!existsSync(worker)) return `${name}: no ${worker}`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', worker, '--backend', backend],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env,
      ...(tree ? { cwd: path.resolve(tree) } : {}),
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const queue = replyQueue();
  child.on('message', (reply) => queue.push(reply as Reply));
  child.on('exit', (code) => queue.fail(`worker exited (${code}): ${tail(stderr)}`));
  const ready = await queue.next();
  if (!ready.ok) return `${name}: ${ready.error}`;
  const request = (message: Record<string, unknown>) => {
    child.send(message);
    return queue.next();
  };
  const hello = await request({ cmd: 'hello' });
  return { name, info: hello, request, close: () => child.kill() };
}

/** The PyTorch worker (Debian's python3 unless REGLAB_PYTHON says otherwise), one thread. */
async function torchSide(device: string, threads: number): Promise<Side | string> {
  const python = process.env.REGLAB_PYTHON ?? '/usr/bin/python3';
  const env = {
    ...process.env,
    OMP_NUM_THREADS: `${threads}`,
    OPENBLAS_NUM_THREADS: `${threads}`,
    MKL_NUM_THREADS: `${threads}`,
  };
  const child = spawn(python, [here('./pytorch/worker.py'), '--threads', `${threads}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const queue = replyQueue();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      queue.push(JSON.parse(line) as Reply);
    } catch {
      // not a reply (a library printing): ignore
    }
  });
  child.on('error', (err) => queue.fail(`${python}: ${err.message}`));
  child.on('exit', (code) => queue.fail(`${python} exited (${code}): ${tail(stderr)}`));
  const request = (message: Record<string, unknown>) => {
    child.stdin.write(JSON.stringify(message) + '\n');
    return queue.next();
  };
  const hello = await request({ cmd: 'hello' });
  if (!hello.ok) {
    child.kill();
    return `torch: ${hello.error} (install Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread)`;
  }
  if (device === 'cuda' && !hello.cuda) {
    child.kill();
    return 'torch: this PyTorch has no CUDA device';
  }
  return { name: 'torch', info: { ...hello, device }, request, close: () => child.kill() };
}

/** What one variant of a group runs. */
interface Variant {
  method: string;
  params: Record<string, number>;
}

const VARIANTS: Record<string, Variant> = {
  std: { method: 'std', params: {} },
  rr: { method: 'rr', params: { lambda: 1e-5 } },
  per: { method: 'per', params: { lambda: 1e-4, slices: 256 } },
  dr: { method: 'dr', params: { lambda: 1e-2 } },
  srip: { method: 'srip', params: { factor: 0.1 } },
  circle: { method: 'circle', params: { radius: 0.1 } },
  orthogonal: { method: 'orthogonal', params: {} },
  'orthogonal-shake10': { method: 'orthogonal', params: { shakeTol: 1e-30, shakeMaxIter: 10 } },
};

interface Group {
  model: BenchModel;
  batch: number;
  variants: string[];
}

const GROUPS: Record<'cpu' | 'gpu', Record<string, Group>> = {
  cpu: {
    mlp: { model: 'mlp', batch: 128, variants: Object.keys(VARIANTS) },
    cnn: { model: 'cnn', batch: 128, variants: ['std', 'rr'] },
    // Not in the default --groups (a ResNet-20 step is ~20× a cnn step; see bench/README.md).
    resnet: { model: 'resnet', batch: 32, variants: ['std', 'rr', 'per'] },
  },
  gpu: {
    mlp: { model: 'mlp', batch: 1024, variants: ['std', 'rr', 'orthogonal'] },
    cnn: { model: 'cnn', batch: 256, variants: ['std', 'rr'] },
  },
};

const LR = 0.01;
const MOMENTUM = 0.9;

/** Samples/s of every side, per case and round. */
type Samples = Record<string, Record<string, number[]>>;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[], digits: number, unit = '') =>
  xs.length
    ? `${num(median(xs), digits)}${unit} (${num(Math.min(...xs), digits)}–${num(Math.max(...xs), digits)})`
    : '—';

function command(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function machine(): string {
  const model = command('lscpu', [])
    .split('\n')
    .find((l) => l.startsWith('Model name'))
    ?.split(':')[1]
    ?.trim();
  return `${os.cpus().length}× ${model ?? os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

function debVersions(): string {
  const out = command('dpkg-query', [
    '-W',
    '-f',
    '${Package} ${Version}\n',
    'python3-torch',
    'libopenblas0-pthread',
    'libopenblas-dev',
  ]);
  return out ? out.split('\n').join(', ') : 'dpkg-query unavailable';
}

function describe(side: Side): string {
  const i = side.info;
  if (side.name === 'torch')
    return `torch: PyTorch ${i.torch} (Python ${i.python}, ${i.executable}), ${i.threads} thread(s), BLAS ${i.blas} → ${i.blasLibrary}${i.gpu ? `, ${i.gpu} (CUDA ${i.cudaVersion})` : ''}`;
  const native = i.native as Record<string, unknown> | undefined;
  return `${side.name}: ${i.line} — tfjs-core ${i.tfjs}, Node ${i.node}${native ? `, ${native.openblasConfig ?? 'no OpenBLAS'}` : ''}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const device = (argument(argv, 'device') ?? 'cpu') as 'cpu' | 'gpu';
  if (!(device in GROUPS)) throw new Error(`--device ${device}: use cpu or gpu`);
  const quick = argv.includes('--quick');
  const rounds = Number(argument(argv, 'rounds') ?? (quick ? 3 : 5));
  const seconds = Number(argument(argv, 'seconds') ?? (quick ? 1 : 2));
  const sideNames = (
    argument(argv, 'sides') ?? (device === 'gpu' ? 'webgpu,torch' : 'wasm,native,torch')
  ).split(',');
  const groupNames = (argument(argv, 'groups') ?? 'mlp,cnn').split(',');
  const variantFilter = argument(argv, 'variants')?.split(',');
  const orderBy = argument(argv, 'order') ?? 'case';
  if (orderBy !== 'case' && orderBy !== 'side')
    throw new Error(`--order ${orderBy}: use case or side`);
  for (const g of groupNames)
    if (!GROUPS[device][g]) throw new Error(`--groups: unknown group ${g}`);
  for (const v of variantFilter ?? [])
    if (!VARIANTS[v])
      throw new Error(`--variants: unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`);
  if (!(rounds >= 1 && seconds > 0)) throw new Error('--rounds must be ≥ 1 and --seconds > 0');

  const startLoad = os.loadavg()[0];
  const sides: Side[] = [];
  const skipped: string[] = [];
  for (const name of sideNames) {
    const side =
      name === 'torch'
        ? await torchSide(device === 'gpu' ? 'cuda' : 'cpu', 1)
        : await reglabSide(name);
    if (typeof side === 'string') {
      skipped.push(side);
      console.log(`skipped ${side}`);
    } else {
      sides.push(side);
      console.log(describe(side));
    }
  }
  if (sides.length === 0) {
    console.log(`no side could start (${skipped.join('; ')}): nothing to measure`);
    process.exitCode = 1;
    return;
  }
  const torch = sides.find((s) => s.name === 'torch');
  const samples: Samples = {};
  const leaks: Record<string, number> = {};
  const failures: string[] = [];
  try {
    for (const groupName of groupNames) {
      const group = GROUPS[device][groupName];
      const variants = group.variants.filter((v) => !variantFilter || variantFilter.includes(v));
      const live = new Set<string>();
      for (const variant of variants) {
        const id = `${groupName}/${variant}`;
        samples[id] = {};
        const spec = {
          id,
          model: group.model,
          batch: group.batch,
          lr: LR,
          momentum: MOMENTUM,
          ...VARIANTS[variant],
          device: device === 'gpu' ? 'cuda' : 'cpu',
        };
        for (const side of sides) {
          const reply = await side.request({ cmd: 'setup', case: spec });
          if (reply.ok) live.add(`${side.name} ${id}`);
          else failures.push(`${side.name} ${id}: ${reply.error}`);
          samples[id][side.name] = [];
        }
      }
      for (let round = 0; round < rounds; round++) {
        // The side order rotates per round; `--order side` runs every variant of one side in a
        // row (a method next to its Std), `case` every side of one variant (reglab next to PyTorch).
        const order = sides.map((_, k) => sides[(k + round) % sides.length]);
        const jobs =
          orderBy === 'side'
            ? order.flatMap((side) => variants.map((variant) => ({ variant, side })))
            : variants.flatMap((variant) => order.map((side) => ({ variant, side })));
        const lines = new Map<string, string[]>(variants.map((variant) => [variant, []]));
        for (const { variant, side } of jobs) {
          const id = `${groupName}/${variant}`;
          if (!live.has(`${side.name} ${id}`)) continue;
          const reply = await side.request({
            cmd: 'run',
            id,
            seconds,
            minSteps: 3,
            warmup: round === 0 ? 3 : 0,
          });
          if (!reply.ok) {
            failures.push(`${side.name} ${id}: ${reply.error}`);
            live.delete(`${side.name} ${id}`);
            continue;
          }
          const rate = (group.batch * (reply.steps as number)) / (reply.seconds as number);
          samples[id][side.name].push(rate);
          if (typeof reply.leakedPerStep === 'number')
            leaks[`${side.name} ${id}`] = reply.leakedPerStep;
          lines.get(variant)!.push(`${side.name} ${num(rate)}`);
        }
        for (const [variant, line] of lines)
          console.log(
            `round ${round + 1}/${rounds} ${groupName}/${variant}: ${line.join(', ')} samples/s`,
          );
      }
      for (const variant of variants)
        for (const side of sides)
          await side.request({ cmd: 'teardown', id: `${groupName}/${variant}` });
    }
  } finally {
    for (const side of sides) side.close();
  }

  // Tables: per case and side, samples/s; ratio to PyTorch per round; step time over Std per round.
  const ratio = (a: number[], b: number[]) =>
    a.slice(0, Math.min(a.length, b.length)).map((x, i) => x / b[i]);
  const rows: string[] = [];
  const json: Record<string, unknown>[] = [];
  for (const [id, bySide] of Object.entries(samples)) {
    const std = samples[`${id.split('/')[0]}/std`];
    for (const side of sides) {
      const rates = bySide[side.name] ?? [];
      if (!rates.length) continue;
      const vsTorch = side !== torch && torch ? ratio(rates, bySide.torch ?? []) : [];
      const overhead = std && !id.endsWith('/std') ? ratio(std[side.name] ?? [], rates) : [];
      const leak = leaks[`${side.name} ${id}`];
      rows.push(
        `| ${id} | ${side.name} | ${spread(rates, 0)} | ${vsTorch.length ? spread(vsTorch, 2, '×') : '—'} | ${overhead.length ? spread(overhead, 2, '×') : '—'} |${leak ? ` leaks ${num(leak, 1)} tensors/step` : ''}`,
      );
      json.push({
        case: id,
        side: side.name,
        samplesPerSec: rates,
        vsTorch,
        overVsStd: overhead,
        leakedPerStep: leak,
      });
    }
  }
  const pkg = JSON.parse(readFileSync(here('../package.json'), 'utf8')) as { version: string };
  const preamble = [
    `reglab ${pkg.version} vs PyTorch, \`npm run bench:compare -- ${argv.join(' ')}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${machine()}; load average ${startLoad.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end (shared machine: sides interleaved, ${rounds} rounds of ≥ ${seconds} s per case and side).`,
    `Work per step: the zoo model, momentum SGD (lr ${LR}, μ ${MOMENTUM}), seeded uniform [0, 1) inputs, 10 classes, the batch of each group (${groupNames.map((g) => `${g} ${GROUPS[device][g].batch}`).join(', ')}); forward, task loss + λ·term, backward, update, loss and accuracy read back.`,
    ...sides.map((s) => `- ${describe(s)}`),
    `- Debian packages: ${debVersions()}`,
    ...skipped.map((s) => `- skipped ${s}`),
    ...failures.map((f) => `- failed ${f}`),
  ].join('\n');
  const table = [
    '| case | side | samples/s, median (range) | ÷ PyTorch, median (range) | step time ÷ Std, median (range) |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const base = `bench/results/compare-${device}`;
  await mkdir('bench/results', { recursive: true });
  await writeFile(`${base}.md`, `${preamble}\n\n${table}\n`);
  await writeFile(`${base}.json`, JSON.stringify({ preamble, samples: json }, null, 2) + '\n');
  console.log(`\n${preamble}\n\n${table}\n\n(written to ${base}.md and .json)`);
  if (!torch) console.log('PyTorch side skipped: no ratios (see above).');
}

await main();

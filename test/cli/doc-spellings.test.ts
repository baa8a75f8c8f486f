/**
 * Every command line and spec that README.md and docs/*.md show parses as documented: each
 * `reglab …` line of their code blocks goes through the real commander program (the actions
 * replaced by a check, so nothing trains) and then through the checks the action runs before
 * any work — run config, term / monitor / optimizer specs (`canonicalRunConfig`), constraint
 * rules (against the model, through the optimizer as `trainRun` builds it), the terms and
 * monitors themselves, the model spec, transfers, compare / demo methods (`canonicalExperiment`), pretrain's
 * `--dr`. Inline spec spans (`racecar:mean:1e-2`) go through their registry.
 *
 * The same for the first wave's spellings (`first-wave-docs.json`: what README and docs showed
 * at commit 5b4f4d2, the last before the restructure, extracted by `doc-commands.ts`): each still
 * works, and where it is deprecated the message names its replacement. The current docs use the
 * current spellings: no deprecation message.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { runConfigFromFlags, type TrainingFlags } from '../../src/cli/options.js';
import { experimentFromFlags } from '../../src/cli/commands/compare.js';
import { demoExperiment } from '../../src/cli/commands/demo.js';
import { parseDrFlag } from '../../src/cli/commands/pretrain.js';
import { canonicalRunConfig } from '../../src/lab/run-config.js';
import { canonicalExperiment } from '../../src/lab/compare.js';
import { parseTransfer } from '../../src/data/registry.js';
import { buildModel } from '../../src/models/zoo.js';
import { Random } from '../../src/core/random.js';
import { builtinRegistries } from '../../src/registry.js';
import { constraintRegistry, parseConstraintSpec } from '../../src/methods/langevin/rules.js';
import { docCommands, docSpecs, type DocCommand, type DocSpec } from './doc-commands.js';
import { useBackend } from '../support.js';

before(() => useBackend());

const root = new URL('../../', import.meta.url);
const registries = builtinRegistries();
const SPEC_NAMES = [
  ...registries.terms.names(),
  ...registries.monitors.names(),
  ...registries.optimizers.names(),
  ...constraintRegistry.names(),
];
/**
 * First-wave spellings that are errors now, each naming its replacement: `mi` binned then and
 * runs kNN now, so a binning option on it is refused rather than ignored.
 */
const FIRST_WAVE_ERRORS: Readonly<Record<string, RegExp>> = {
  'mi:bins=100:0': /write mi:binning:bins=100/,
};
/** Specs the docs show on purpose as errors (the misspelling examples). */
const DOCUMENTED_ERRORS: Readonly<Record<string, RegExp>> = {
  'racecar:layerwize:1e-5':
    /unknown option "layerwize".*racecar accepts sum, mean, full, layerwise/,
  'per:chanels:1e-4': /unknown option "chanels".*per accepts/,
};

function currentDocs(): { text: string; source: string }[] {
  const docs = readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].map((source) => ({
    source,
    text: readFileSync(new URL(source, root), 'utf8'),
  }));
}

const firstWave = JSON.parse(
  readFileSync(new URL('./first-wave-docs.json', import.meta.url), 'utf8'),
) as { commit: string; commands: DocCommand[]; specs: DocSpec[] };

/** Runs `fn` and returns the reglab messages it printed with console.warn (not TF.js's). */
async function warnings(fn: () => Promise<void> | void): Promise<string[]> {
  const printed: string[] = [];
  const warn = console.warn;
  console.warn = (...parts: unknown[]) => {
    const line = parts.join(' ');
    if (line.startsWith('reglab:')) printed.push(line);
  };
  try {
    await fn();
  } finally {
    console.warn = warn;
  }
  return printed;
}

/** Parses `args` with the real program and runs the checks its action runs before any work. */
async function checkCommand(args: readonly string[]): Promise<void> {
  const program = buildProgram({ throwOnError: true, writeErr: () => {} });
  let parsed: { name: string; flags: Record<string, unknown> } | undefined;
  for (const command of program.commands) {
    command.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    command.action((...received: unknown[]) => {
      const self = received.at(-1) as Command;
      parsed = { name: self.name(), flags: self.opts() };
    });
  }
  await program.parseAsync(['node', 'reglab', ...args]);
  assert.ok(parsed, 'an action ran');
  const { name, flags } = parsed;
  if (name === 'train') {
    const config = canonicalRunConfig(runConfigFromFlags(flags as unknown as TrainingFlags));
    // trainRun creates the terms and monitors before it writes a file
    const context = { rng: new Random(0) };
    for (const spec of config.regs ?? []) registries.terms.create(spec, context);
    for (const spec of config.track ?? []) registries.monitors.create(spec, context);
    parseConstraintSpec(config.constraints ?? []);
    if (config.transfer) parseTransfer(config.transfer);
    if (!config.model.endsWith('.json')) {
      const model = buildModel(config.model, {
        inputShape: [28, 28, 1],
        numClasses: 10,
        rng: new Random(0),
      });
      // the optimizer as trainRun creates it: constraint rules checked against the model
      const optimizer = registries.optimizers.create(config.optimizer, {
        learningRate: config.lr,
        momentum: config.momentum,
        constraints: config.constraints ?? [],
        model,
        rng: new Random(0),
      });
      optimizer.dispose();
      model.dispose();
    }
  } else if (name === 'compare' && flags.config === undefined) {
    const experiment = await experimentFromFlags(
      flags as unknown as Parameters<typeof experimentFromFlags>[0],
    );
    canonicalExperiment(experiment, registries);
    if (experiment.transfer) parseTransfer(experiment.transfer.variant);
  } else if (name === 'demo') {
    canonicalExperiment(
      demoExperiment(flags as unknown as Parameters<typeof demoExperiment>[0]),
      registries,
    );
  } else if (name === 'pretrain' && typeof flags.dr === 'string') {
    parseDrFlag(flags.dr);
  }
}

/** Checks one inline spec through the registry that holds its name. */
function checkSpec(text: string): void {
  for (const part of text.split('+')) {
    const name = part.split(/[:@]/)[0];
    if (registries.terms.has(name)) registries.terms.canonical(part);
    else if (registries.monitors.has(name)) registries.monitors.canonical(part);
    else if (registries.optimizers.has(name)) registries.optimizers.canonical(part);
    else parseConstraintSpec(part);
  }
}

const show = (c: DocCommand) => `${c.source}: reglab ${c.args.join(' ')}`;

test('every reglab command line of README and docs parses and passes its checks, in current spellings', async () => {
  const commands = currentDocs().flatMap(({ text, source }) => docCommands(text, source));
  assert.ok(commands.length >= 60, `found only ${commands.length} command lines`);
  for (const names of ['train', 'compare', 'demo', 'pretrain', 'reconstruct', 'svd', 'report'])
    assert.ok(
      commands.some((c) => c.args[0] === names),
      `no ${names} line found`,
    );
  for (const command of commands) {
    const printed = await warnings(() =>
      checkCommand(command.args).catch((err: Error) => {
        throw new Error(`${show(command)}\n  ${err.message}`, { cause: err });
      }),
    );
    assert.deepEqual(printed, [], `${show(command)} uses a deprecated spelling`);
  }
});

test('every inline spec of README and docs parses, except the documented misspelling examples', async () => {
  const specs = currentDocs().flatMap(({ text, source }) => docSpecs(text, source, SPEC_NAMES));
  assert.ok(specs.length >= 40, `found only ${specs.length} specs`);
  for (const spec of specs) {
    const expected = DOCUMENTED_ERRORS[spec.text];
    if (expected) {
      assert.throws(() => checkSpec(spec.text), expected, `${spec.source}: ${spec.text}`);
      continue;
    }
    await warnings(() => {
      try {
        checkSpec(spec.text);
      } catch (err) {
        throw new Error(`${spec.source}: ${spec.text}\n  ${(err as Error).message}`, {
          cause: err,
        });
      }
    });
  }
});

test("the first wave's command lines and specs (README and docs at 5b4f4d2) still work; deprecated ones name their replacement", async () => {
  assert.ok(firstWave.commands.length >= 40 && firstWave.specs.length >= 30);
  const deprecated: string[] = [];
  for (const command of firstWave.commands) {
    const refused = Object.entries(FIRST_WAVE_ERRORS).find(([spec]) => command.args.includes(spec));
    if (refused) {
      await assert.rejects(checkCommand(command.args), refused[1], show(command));
      continue;
    }
    const printed = await warnings(() =>
      checkCommand(command.args).catch((err: Error) => {
        throw new Error(`${show(command)}\n  ${err.message}`, { cause: err });
      }),
    );
    for (const line of printed) {
      assert.match(line, /write |drop /, `${show(command)}: ${line}`);
      deprecated.push(line);
    }
  }
  for (const spec of firstWave.specs) {
    const expected = DOCUMENTED_ERRORS[spec.text];
    if (expected) assert.throws(() => checkSpec(spec.text), expected);
    else
      for (const line of await warnings(() => checkSpec(spec.text))) {
        assert.match(line, /write |drop /, `${spec.source}: ${spec.text}: ${line}`);
        deprecated.push(line);
      }
  }
  // the first wave's comma lists, monitor weights and start names are among them
  for (const expected of [/--methods is deprecated/, /h=0\.3,gamma=1/, /"0" .*deprecated|:0/])
    assert.ok(
      deprecated.some((line) => expected.test(line)),
      `no deprecation matching ${expected}:\n${deprecated.join('\n')}`,
    );
});

/** The one spec grammar: parse, print, errors, grids, deprecated spellings, every registry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expandGrid,
  formatNumber,
  parseSpec,
  printSpec,
  splitTargetList,
  type OptionValue,
  type SpecSchema,
} from '../../src/core/spec.js';
import { Random } from '../../src/core/random.js';
import { builtinRegistries } from '../../src/registry.js';

const SCHEMA: SpecSchema = {
  name: 'demo',
  summary: 'a schema with one option of each type',
  options: {
    mode: { type: 'choice', values: ['fast', 'slow'], default: 'fast', aliases: { quick: 'fast' } },
    bias: { type: 'flag', default: false },
    steps: { type: 'number', integer: true, min: 1, default: 3 },
    widths: { type: 'numbers', integer: true, min: 1 },
    file: { type: 'text' },
  },
  value: { name: 'λ', type: 'number', min: 0, required: true },
  targets: { name: 'layers' },
};

test('parse reads words, key=value, the number and targets; defaults fill the rest', () => {
  const spec = parseSpec(
    'demo:slow:bias:steps=5:widths=4,8:file=a.txt:1e-5@dense_1,dense_2',
    SCHEMA,
  );
  assert.deepEqual(spec, {
    name: 'demo',
    options: { mode: 'slow', bias: true, steps: 5, widths: [4, 8], file: 'a.txt' },
    value: 1e-5,
    targets: ['dense_1', 'dense_2'],
  });
  assert.deepEqual(parseSpec('demo:0.1', SCHEMA).options, {
    mode: 'fast',
    bias: false,
    steps: 3,
    widths: undefined,
    file: undefined,
  });
  // the number may stand anywhere among the options
  assert.equal(parseSpec('demo:0.5:slow', SCHEMA).value, 0.5);
});

test('print writes the canonical form and round-trips', () => {
  const canonical = [
    'demo:1e-5',
    'demo:slow:0.1',
    'demo:bias:steps=5:widths=4,8:2',
    'demo:file=x.json:0.05@conv_*',
    'demo:3e-7@/dense_\\d+/,conv_1',
  ];
  for (const text of canonical) assert.equal(printSpec(parseSpec(text, SCHEMA), SCHEMA), text);
  // non-canonical texts print in canonical order, defaults dropped
  assert.equal(
    printSpec(parseSpec('demo:0.00001:steps=3:fast:bias=false', SCHEMA), SCHEMA),
    'demo:1e-5',
  );
  assert.equal(
    printSpec(parseSpec('demo:2:mode=slow:bias=true', SCHEMA), SCHEMA),
    'demo:slow:bias:2',
  );
});

test('errors name the bad part and list what the schema accepts', () => {
  const bad: [string, RegExp][] = [
    ['demo:slwo:1', /unknown option "slwo" in "demo:slwo:1" — demo accepts fast, slow, bias/],
    ['demo:fast:slow:1', /sets mode twice \(fast and slow\)/],
    ['demo:mode=medium:1', /mode=medium in "demo:mode=medium:1" is not one of fast, slow/],
    ['demo:steps=0:1', /steps "0" in .* is not an integer ≥ 1/],
    ['demo:steps=2.5:1', /not an integer/],
    ['demo:speed=2:1', /unknown option "speed"/],
    ['demo', /"demo" needs λ — write demo\[/],
    ['demo:1:2', /has two numbers/],
    ['demo:-1', /λ "-1" .* is not a number ≥ 0/],
    ['demo:1e', /unknown option "1e"|λ "1e"/],
    ['demo::1', /empty part between colons/],
    ['demo:1@', /empty target after @/],
    ['demo:bias=yes:1', /bias=yes .* is not true or false/],
    ['other:1', /"other:1" is not a demo spec/],
  ];
  for (const [text, pattern] of bad) assert.throws(() => parseSpec(text, SCHEMA), pattern, text);
  const noTargets: SpecSchema = { name: 'plain', summary: 's' };
  assert.throws(() => parseSpec('plain@x', noTargets), /plain takes no @targets/);
  assert.throws(() => parseSpec('plain:0.5', noTargets), /plain takes no number/);
});

test('deprecated spellings parse with a message: aliases, comma options, a monitor weight of 0', () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    assert.equal(parseSpec('demo:quick:1', SCHEMA).options.mode, 'fast');
    const commas = parseSpec('demo:steps=4,file=a:1', SCHEMA);
    assert.deepEqual([commas.options.steps, commas.options.file], [4, 'a']);
    const monitor: SpecSchema = { name: 'watch', summary: 's', options: { k: { type: 'number' } } };
    assert.deepEqual(parseSpec('watch:k=2:0', monitor).options, { k: 2 });
  } finally {
    console.warn = original;
  }
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings.join('\n'), /"quick" .* is deprecated; write "fast"/);
  assert.match(warnings.join('\n'), /separate options with ":" \(write steps=4:file=a\)/);
  assert.match(warnings.join('\n'), /watch takes no weight; drop the ":0"/);
});

test('grids expand every | in order; targets and regular expressions stay whole', () => {
  assert.deepEqual(expandGrid('racecar:1e-5|1e-4'), ['racecar:1e-5', 'racecar:1e-4']);
  assert.deepEqual(expandGrid('a:x|y:k=1|2@l1,l2'), [
    'a:x:k=1@l1,l2',
    'a:x:k=2@l1,l2',
    'a:y:k=1@l1,l2',
    'a:y:k=2@l1,l2',
  ]);
  assert.deepEqual(expandGrid('a:1@/x|y/'), ['a:1@/x|y/']);
  assert.throws(() => expandGrid('a:1||2'), /empty alternative/);
  assert.deepEqual(splitTargetList('dense_1,/a,b/i,conv_*'), ['dense_1', '/a,b/i', 'conv_*']);
});

test('formatNumber is the shortest faithful text', () => {
  const cases: [number, string][] = [
    [1e-5, '1e-5'],
    [0.00001, '1e-5'],
    [1.5e-7, '1.5e-7'],
    [0.05, '0.05'],
    [0.001, '0.001'],
    [256, '256'],
    [2e6, '2e6'],
    [-3, '-3'],
  ];
  for (const [x, text] of cases) {
    assert.equal(formatNumber(x), text);
    assert.equal(Number(formatNumber(x)), x);
  }
});

/** A random valid value of an option (for the round-trip test over every registry). */
function randomValue(option: NonNullable<SpecSchema['options']>[string], rng: Random): OptionValue {
  switch (option.type) {
    case 'choice':
      return option.values[Math.floor(rng.uniform() * option.values.length)];
    case 'flag':
      return rng.uniform() < 0.5;
    case 'text':
      return 'x.json';
    case 'numbers':
      return [2, 3];
    case 'number': {
      const low = option.min ?? (option.above !== undefined ? option.above + 0.5 : 0);
      const high = option.max ?? low + 10;
      const x = low + rng.uniform() * (high - low);
      return option.integer ? Math.ceil(x) : Number(x.toPrecision(3));
    }
  }
}

test('every registered factory: usage lines, and print(parse(x)) round trips on random valid specs', () => {
  const rng = new Random(5);
  const registries = builtinRegistries();
  for (const registry of [registries.terms, registries.monitors, registries.optimizers]) {
    assert.ok(registry.usage().length > 0);
    for (const name of registry.names()) {
      const { schema } = registry.get(name);
      for (let trial = 0; trial < 20; trial++) {
        const parts = [name];
        for (const [key, option] of Object.entries(schema.options ?? {})) {
          if (rng.uniform() < 0.5) continue;
          const value = randomValue(option, rng);
          parts.push(`${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
        }
        if (schema.value) parts.push(String(randomValue(schema.value, rng)));
        const text = parts.join(':') + (schema.targets && rng.uniform() < 0.5 ? '@a,b' : '');
        const once = registry.canonical(text);
        assert.equal(registry.canonical(once), once, `${text} → ${once}`);
        assert.deepEqual(registry.parse(once), registry.parse(text), text);
      }
    }
  }
});

test('registries: unknown names list the known ones; names are unique', () => {
  const { terms, monitors, optimizers } = builtinRegistries();
  assert.throws(
    () => terms.get('racecr'),
    /unknown regularization term "racecr" — choose one of: .*racecar/,
  );
  assert.throws(
    () => monitors.get('mutual'),
    /unknown monitor "mutual" — choose one of: activations, mi/,
  );
  assert.throws(() => optimizers.get('adamw'), /unknown optimizer "adamw"/);
  assert.throws(
    () => terms.add(terms.get('racecar')),
    /two regularization terms are named "racecar"/,
  );
  // aliases resolve to their factory, the canonical name is printed
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(optimizers.canonical('underdamped:h=0.3'), 'cola-ud:h=0.3');
  } finally {
    console.warn = warn;
  }
  // two builtinRegistries() never share state
  const other = builtinRegistries();
  other.terms.add({
    schema: { name: 'mine', summary: 's', value: { name: 'λ', type: 'number', required: true } },
    create: () => terms.create('racecar:1', { rng: new Random(0) }),
  });
  assert.equal(terms.has('mine'), false);
});

/**
 * Geometry of the constraints (Π idempotent, Π_M(M) = 0, initialisation onto the manifold),
 * the rule matching and the spec parsers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../support.js';
import {
  circle,
  cosSin,
  sphere,
  orthogonal,
  none,
  parseConstraintSpec,
  parseOptimizerSpec,
  createLangevinOptimizer,
  ruleMatches,
  resolveConstraint,
  checkRules,
  ruleToSpec,
  tallView,
  UnderdampedLangevin,
  OverdampedLangevin,
  type Constraint,
} from '../../../src/methods/langevin/index.js';

await useBackend();

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
const maxAbs = (a: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);

function checkProjection(k: Constraint, shape: number[], scale: number): void {
  tf.tidy(() => {
    const q = k.initialise(tf.randomNormal(shape, 0, scale, 'float32', 11));
    assert.ok(k.residual(q).dataSync()[0] < 2e-6, `${k.spec()} ${shape}: initialised residual`);
    const v = q.map((_, i) => tf.randomNormal(shape, 0, 1, 'float32', 20 + i));
    const pv = k.tangent(q, v);
    const ppv = k.tangent(q, pv);
    pv.forEach((t, i) =>
      assert.ok(
        maxAbsDiff(ppv[i], t) < 1e-5 * Math.max(1, maxAbs(t)),
        `${k.spec()} ${shape}: Π idempotent`,
      ),
    );
    const pq = k.tangent(q, q);
    pq.forEach((t) =>
      assert.ok(maxAbs(t) < 1e-5 * Math.max(1, maxAbs(q[0])), `${k.spec()} ${shape}: Π_M(M) = 0`),
    );
  });
}

test('orthogonal: initialise, Π idempotent, Π_M(M) = 0 (tall, wide, conv)', () => {
  for (const shape of [
    [784, 100],
    [64, 576],
    [576, 64],
    [3, 3, 16, 32],
    [10, 10],
  ])
    checkProjection(orthogonal(), shape, 0.05);
});

test('orthogonal tangent vectors satisfy MᵀV + VᵀM = 0; wide kernels have MMᵀ = I', () => {
  tf.tidy(() => {
    const [m] = orthogonal().initialise(tf.randomNormal([64, 576], 0, 0.05, 'float32', 1));
    assert.ok(maxAbsDiff(tf.matMul(m, tf.transpose(m)), tf.eye(64)) < 2e-6);
    const [v] = orthogonal().tangent([m], [tf.randomNormal([64, 576], 0, 1, 'float32', 2)]);
    const s = tf.matMul(v, tf.transpose(m));
    assert.ok(maxAbs(tf.add(s, tf.transpose(s))) < 1e-4);
    const x = tallView(m);
    assert.deepEqual(x.shape, [576, 64]);
  });
});

test('sphere and circle: initialise, Π idempotent, Π_q(q) = 0', () => {
  checkProjection(sphere(1.5), [20, 7], 1);
  checkProjection(sphere(0.5), [3, 3, 4, 6], 1);
  checkProjection(circle(0.05), [30, 20], 0.1);
});

test('circle initialisation scales Glorot weights inside (−r, r) and sets ξ = √(r² − w²)', () => {
  tf.tidy(() => {
    const w = tf.randomUniform([784, 1000], -0.058, 0.058, 'float32', 3);
    const [w2, xi] = circle(0.05).initialise(w);
    assert.ok(maxAbs(w2) < 0.05);
    assert.ok(tf.min(xi).dataSync()[0] > 0);
    assert.ok(circle(0.05).residual([w2, xi]).dataSync()[0] < 1e-6);
    const small = tf.randomUniform([10], -0.01, 0.01, 'float32', 4);
    assert.equal(
      maxAbsDiff(circle(0.05).initialise(small)[0], small),
      0,
      'weights already inside are kept',
    );
  });
});

test('cosSin (polynomial cos/sin of the circle rotation) matches Math.cos/Math.sin, small and large angles', () => {
  for (const scale of [0.01, 0.5, 3, 40]) {
    tf.tidy(() => {
      const alpha = tf.randomUniform([2000], -scale, scale, 'float32', 5);
      const [c, s] = cosSin(alpha);
      const a = alpha.dataSync();
      const cd = c.dataSync();
      const sd = s.dataSync();
      let worst = 0;
      a.forEach(
        (x, i) =>
          (worst = Math.max(worst, Math.abs(cd[i] - Math.cos(x)), Math.abs(sd[i] - Math.sin(x)))),
      );
      // float32: ~1e-7 for |α| ≤ ½; each double-angle step roughly doubles the rounding error
      assert.ok(worst < 2e-7 * Math.max(1, 2 * scale), `|α| ≤ ${scale}: max error ${worst}`);
    });
  }
});

test('rules: layer names select kernels, regexes anything, specific targets win over *, default none', () => {
  assert.ok(ruleMatches('dense_1', 'dense_1/kernel'));
  assert.ok(ruleMatches('dense_1', 'dense_1/kernel_3'));
  assert.ok(!ruleMatches('dense_1', 'dense_1/bias'));
  assert.ok(!ruleMatches('dense_1', 'dense_11/kernel'));
  assert.ok(ruleMatches('*', 'conv2d_4/kernel'));
  assert.ok(!ruleMatches('*', 'batch_norm/gamma'));
  assert.ok(ruleMatches('dense_1/bias', 'dense_1/bias'));
  assert.ok(ruleMatches(/bias/, 'dense_1/bias'));
  const rules = parseConstraintSpec('none@conv_1,orthogonal@*');
  assert.equal(resolveConstraint(rules, 'conv_1/kernel').kind, 'none');
  assert.equal(resolveConstraint(rules, 'conv_2/kernel').kind, 'orthogonal');
  assert.equal(resolveConstraint(rules, 'conv_2/bias').kind, 'none');
  assert.equal(none().spec(), 'none');
});

const MLP_VARIABLES = ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias'];

/** A ResNet's variables in tfjs-layers' weight order (stem first). */
const RESNET_VARIABLES = [
  'stem_conv/kernel',
  'stem_bn/gamma',
  'stage1_block1_conv1/kernel',
  'stage1_block1_conv2/kernel',
  'stage2_block1_conv1/kernel',
  'stage2_block1_proj_conv/kernel',
  'dense/kernel',
  'dense/bias',
];

test("rules: globs over layer names select those layers' kernels; a glob that matches nothing is an error", () => {
  assert.ok(ruleMatches('stage*_conv*', 'stage2_block1_conv1/kernel'));
  assert.ok(ruleMatches('stage*_conv?', 'stage1_block1_conv2/kernel_1'));
  assert.ok(!ruleMatches('stage*_conv?', 'stage2_block1_proj_conv/kernel'));
  assert.ok(!ruleMatches('stage*_conv*', 'stem_conv/kernel'));
  assert.ok(!ruleMatches('stage*', 'stem_bn/gamma'), 'a glob selects kernels only');
  const rules = parseConstraintSpec(['orthogonal@stage*_conv*', 'circle:0.1@dense']);
  checkRules(rules, RESNET_VARIABLES);
  const kinds = RESNET_VARIABLES.map((name) => resolveConstraint(rules, name).kind);
  assert.deepEqual(kinds, [
    'none',
    'none',
    'orthogonal',
    'orthogonal',
    'orthogonal',
    'orthogonal',
    'circle',
    'none',
  ]);
  throwsNaming(
    () => checkRules(parseConstraintSpec('orthogonal@conv_*'), RESNET_VARIABLES),
    ['"orthogonal@conv_*"', 'matches no variable', 'stem_conv/kernel'],
    'glob matching nothing',
  );
});

test('rules: all-but-first constrains every kernel but the first, prints back, takes no targets', () => {
  const rules = parseConstraintSpec('orthogonal:all-but-first');
  checkRules(rules, RESNET_VARIABLES);
  const constrained = RESNET_VARIABLES.filter(
    (name) => resolveConstraint(rules, name).kind === 'orthogonal',
  );
  assert.deepEqual(constrained, [
    'stage1_block1_conv1/kernel',
    'stage1_block1_conv2/kernel',
    'stage2_block1_conv1/kernel',
    'stage2_block1_proj_conv/kernel',
    'dense/kernel',
  ]);
  assert.equal(ruleToSpec(rules[0]), 'orthogonal:all-but-first');
  assert.deepEqual(parseConstraintSpec(ruleToSpec(rules[0]))[0].allButFirst, {});
  // The same set as the explicit pair of rules.
  const explicit = parseConstraintSpec(['orthogonal', 'none@stem_conv']);
  for (const name of RESNET_VARIABLES)
    assert.equal(resolveConstraint(rules, name).kind, resolveConstraint(explicit, name).kind, name);
  // A specific rule still wins over it; with one kernel only it acts on nothing: an error.
  const mixed = parseConstraintSpec(['orthogonal:all-but-first', 'circle:0.1@dense']);
  checkRules(mixed, RESNET_VARIABLES);
  assert.equal(resolveConstraint(mixed, 'dense/kernel').kind, 'circle');
  throwsNaming(
    () =>
      checkRules(parseConstraintSpec('orthogonal:all-but-first'), [
        'dense_1/kernel',
        'dense_1/bias',
      ]),
    ['"orthogonal:all-but-first"', 'matches no variable'],
    'one kernel',
  );
  throwsNaming(
    () => parseConstraintSpec('orthogonal:all-but-first@conv_*'),
    ['all-but-first takes no @targets'],
    'with targets',
  );
});

/** Asserts `body` throws a ReglabError whose message contains every fragment. */
function throwsNaming(body: () => unknown, fragments: string[], label: string): void {
  assert.throws(
    body,
    (e: Error) => {
      assert.equal(e.name, 'ReglabError', `${label}: ${e.message}`);
      for (const fragment of fragments)
        assert.ok(e.message.includes(fragment), `${label}: "${fragment}" not in: ${e.message}`);
      return true;
    },
    label,
  );
}

test('checkRules: a rule that acts on no variable is an error naming it and listing the variables', () => {
  checkRules(parseConstraintSpec('circle:0.05@dense_1,circle:0.1@dense_2'), MLP_VARIABLES);
  checkRules(parseConstraintSpec('sphere:1@/dense_\\d\\/kernel/,none@dense_1/bias'), MLP_VARIABLES);
  checkRules([], MLP_VARIABLES);
  throwsNaming(
    () => checkRules(parseConstraintSpec('circle:0.05@dens_1,circle:0.1@dense_2'), MLP_VARIABLES),
    ['"circle:0.05@dens_1"', 'matches no variable', ...MLP_VARIABLES],
    'typo in a layer name',
  );
  throwsNaming(
    () => checkRules(parseConstraintSpec('circle:0.1@/conv/'), MLP_VARIABLES),
    ['"circle:0.1@/conv/"', 'dense_2/bias'],
    'regex that matches nothing',
  );
  // `*` is the fallback: it yields to specific rules, and a `*` rule left with no kernel is dead.
  throwsNaming(
    () =>
      checkRules(
        parseConstraintSpec('circle:0.05@dense_1,circle:0.1@dense_2,orthogonal'),
        MLP_VARIABLES,
      ),
    ['"orthogonal@*"', 'more specific rule'],
    'shadowed *',
  );
  throwsNaming(
    () => checkRules(parseConstraintSpec('circle:1'), ['dense_1/bias']),
    ['"circle:1@*"', 'dense_1/bias'],
    '* without kernels',
  );
  // Both unused rules are named at once.
  throwsNaming(
    () => checkRules(parseConstraintSpec('circle:1@a,circle:2@b'), MLP_VARIABLES),
    ['"circle:1@a"', '"circle:2@b"', 'match no variable'],
    'two unused rules',
  );
  // Long variable lists are abbreviated, not dumped.
  const many = Array.from({ length: 100 }, (_, i) => `dense_${i}/kernel`);
  throwsNaming(
    () => checkRules(parseConstraintSpec('circle:1@nope'), many),
    ['dense_39/kernel', '(60 more)'],
    'many variables',
  );
});

test('two rules on one variable are an error (no silent first-match precedence)', () => {
  for (const spec of [
    'circle:0.05@dense_1,circle:0.1@dense_1',
    'circle:0.05@dense_1,sphere:1@/dense_1\\/kernel/',
    'circle:0.05@dense_1,none@dense_1/kernel',
    'circle:0.05,orthogonal@*',
  ]) {
    const rules = parseConstraintSpec(spec);
    throwsNaming(
      () => resolveConstraint(rules, 'dense_1/kernel'),
      ['dense_1/kernel', 'is matched by 2 constraint rules', ruleToSpec(rules[1])],
      spec,
    );
    throwsNaming(() => checkRules(rules, MLP_VARIABLES), ['dense_1/kernel'], `${spec} (check)`);
  }
  // A specific rule and `*` on one kernel: the specific one acts, `*` takes the others.
  const rules = parseConstraintSpec('orthogonal,circle:0.05@dense_1');
  assert.equal(resolveConstraint(rules, 'dense_1/kernel').kind, 'circle');
  assert.equal(resolveConstraint(rules, 'dense_2/kernel').kind, 'orthogonal');
  checkRules(rules, MLP_VARIABLES);
});

test('the optimizer checks its rules against the variables of its first step', () => {
  const kernel = tf.variable(tf.fill([3, 2], 0.01), true, 'dense_1/kernel');
  const bias = tf.variable(tf.zeros([2]), true, 'dense_1/bias');
  const loss = () => tf.sum(tf.add(tf.sum(kernel), tf.sum(bias))) as tf.Scalar;
  const typo = new UnderdampedLangevin({ h: 0.1, constraints: 'circle:0.05@dens_1' });
  const before = kernel.dataSync().slice();
  throwsNaming(
    () => typo.minimize(loss, false, [kernel, bias]),
    ['"circle:0.05@dens_1"', 'dense_1/kernel, dense_1/bias'],
    'first minimize',
  );
  throwsNaming(
    () => new OverdampedLangevin({ h: 0.1, constraints: 'circle:1@dens_1' }).minimize(loss),
    ['"circle:1@dens_1"', 'dense_1/kernel'],
    'minimize without a variable list',
  );
  throwsNaming(
    () => typo.checkVariables([kernel.name, bias.name]),
    ['"circle:0.05@dens_1"'],
    'checkVariables',
  );
  assert.deepEqual(kernel.dataSync(), before, 'a failed check changes no weight');
  typo.dispose();
  tf.dispose([kernel, bias]);
});

test('parseConstraintSpec reads rules and round-trips through ruleToSpec', () => {
  const rules = parseConstraintSpec([
    'circle:0.05@dense_1,circle:0.1@dense_2',
    'sphere:1@/dense_\\d+\\/kernel/i',
    'orthogonal',
  ]);
  assert.deepEqual(rules.map(ruleToSpec), [
    'circle:0.05@dense_1',
    'circle:0.1@dense_2',
    'sphere:1@/dense_\\d+\\/kernel/i',
    'orthogonal@*',
  ]);
  assert.deepEqual(
    parseConstraintSpec(rules.map(ruleToSpec)).map(ruleToSpec),
    rules.map(ruleToSpec),
  );
});

test('parseConstraintSpec: clear errors for bad syntax', () => {
  for (const [spec, fragment] of [
    ['circle@dense_1', '"circle@dense_1" needs radius'],
    ['circle:-1@dense_1', 'radius "-1" in "circle:-1@dense_1" is not a number > 0'],
    ['circle:abc', 'unknown option "abc" in "circle:abc"'],
    ['orthogonal:2@dense_1', 'orthogonal takes no number'],
    ['box:1@dense_1', 'unknown constraint "box" — choose one of: circle, none, orthogonal, sphere'],
    ['circle:0.05@', 'empty target'],
    ['circle:0.1@/dense(/', 'bad regular expression'],
  ]) {
    assert.throws(
      () => parseConstraintSpec(spec),
      (e: Error) => e.name === 'ReglabError' && e.message.includes(fragment),
      spec,
    );
  }
});

test('parseOptimizerSpec and createLangevinOptimizer', () => {
  assert.deepEqual(parseOptimizerSpec('cola-ud:h=0.3,gamma=1,tau=0'), {
    kind: 'underdamped',
    options: { h: 0.3, gamma: 1, tau: 0 },
  });
  assert.deepEqual(parseOptimizerSpec('sgld:h=0.01,tau=1e-4,seed=3'), {
    kind: 'overdamped',
    options: { h: 0.01, tau: 1e-4, seed: 3 },
  });
  const ud = createLangevinOptimizer('cola-ud:lr=0.1,momentum=0.9', 'circle:0.05@dense_1');
  assert.ok(ud instanceof UnderdampedLangevin);
  assert.ok(Math.abs((ud.h * ud.h * (1 + ud.c)) / 2 - 0.1) < 1e-12);
  assert.equal(ud.constraintOf('dense_1/kernel').kind, 'circle');
  assert.ok(createLangevinOptimizer('cola-od:h=0.1') instanceof OverdampedLangevin);
  for (const [spec, fragment] of [
    ['adam:lr=0.1', 'unknown Langevin optimizer'],
    ['cola-ud:h=0.3:gama=1', 'unknown option "gama"'],
    ['cola-ud:h=0.3,gama=1', 'unknown option "gama"'], // the first wave's comma list
    ['cola-ud:h=abc', 'is not a number > 0'],
    ['cola-ud:h=0.3:h=0.2', 'sets h twice'],
    ['cola-ud:h', 'unknown option "h"'],
    ['cola-ud:gamma=1', 'needs a step size h'],
    ['cola-ud:h=0.3:gamma=1:c=0.5', 'both gamma and c'],
    ['cola-od:momentum=0.9', 'unknown option "momentum"'],
  ]) {
    assert.throws(
      () => parseOptimizerSpec(spec),
      (e: Error) => e.name === 'ReglabError' && e.message.includes(fragment),
      spec,
    );
  }
  assert.throws(() => createLangevinOptimizer('cola-ud:h=0.3:lr=0.1'), /both h and lr/);
  assert.throws(() => createLangevinOptimizer('cola-ud:h=0.3:tau=-1'), /tau "-1"/);
});

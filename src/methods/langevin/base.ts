/**
 * What the two constrained Langevin optimizers share: the per-variable state (auxiliaries such
 * as the circle's ξ, the velocity), the constraint rules, the seeded noise generator, and the
 * serialisation that `model.save(…, {includeOptimizer: true})` and `tf.serialization` use.
 *
 * State is created before a variable's first gradient: `computeGradients` (which `minimize`,
 * tfjs-layers `fit` and reglab's Trainer go through) first calls
 * {@link LangevinOptimizer.initialiseVariables}, which checks the constraint rules against the
 * variables once (a rule acting on no variable, or two rules on one, is an error), resolves each
 * variable's constraint, moves the weight onto its manifold (`Constraint.initialise`) and makes
 * the auxiliaries/velocity — so the first gradient is taken on the manifold. Call it yourself to
 * have the weights on the manifold earlier (e.g. for an epoch-0 evaluation), and
 * {@link LangevinOptimizer.checkVariables} to validate the rules before any work is done.
 *
 * `getWeights()` layout: `iter`, `langevin/rng` (int32: generator state), `langevin/layout`
 * (int32 [slots, 2]: number of auxiliaries, has-velocity), then per variable its auxiliaries
 * (`<name>/xi`) and velocity (`<name>/velocity`, the circle's `<name>/omega`). `setWeights`
 * restores them by variable name, or by position when the loaded model renamed its variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { check, ReglabError } from '../../core/errors.js';
import { Random, decodeRandomState, encodeRandomState } from '../../core/random.js';
import type { Constraint, StepParams } from './constraint.js';
import {
  checkRules,
  parseConstraintSpec,
  resolveConstraint,
  ruleToSpec,
  type ConstraintRule,
} from './rules.js';

/** Options every constrained Langevin optimizer takes. */
export interface LangevinCommonOptions {
  /** Temperature τ ≥ 0 (0: no noise, an optimizer; > 0: a sampler). Default 0. */
  tau?: number;
  /** Seed of the noise generator (same seed, same run). Default 0. */
  seed?: number;
  /** Constraint rules, or spec strings for `parseConstraintSpec`. Default: none. */
  constraints?: readonly ConstraintRule[] | string | readonly string[];
  /** SHAKE stops when the residual is below this (default 1e-6)… */
  shakeTol?: number;
  /** …or after this many iterations (default 20). */
  shakeMaxIter?: number;
}

/** One variable's optimizer state. */
export interface Slot {
  name: string;
  constraint: Constraint;
  aux: tf.Variable[];
  vel: tf.Variable | null;
}

interface Pending {
  name: string;
  aux: tf.Tensor[];
  vel: tf.Tensor | null;
}

/** Config strings pass through tfjs-layers' snake→camel conversion, which eats `_x`: escape `_`. */
export function encodeConfigString(s: string): string {
  return s.replace(/%/g, '%25').replace(/_/g, '%5F');
}
export function decodeConfigString(s: string): string {
  return decodeURIComponent(s);
}

export abstract class LangevinOptimizer extends tf.Optimizer {
  readonly tau: number;
  readonly seed: number;
  readonly rules: readonly ConstraintRule[];
  readonly shakeTol: number;
  readonly shakeMaxIter: number;
  protected rng: Random;
  protected slots = new Map<string, Slot>();
  private pending: (Pending | undefined)[] = [];
  /** Whether the rules were checked against the variables of a first step. */
  private rulesChecked = false;
  /** Whether this integrator keeps a velocity per variable. */
  protected abstract readonly usesVelocity: boolean;

  constructor(options: LangevinCommonOptions) {
    super();
    this.tau = options.tau ?? 0;
    this.seed = options.seed ?? 0;
    this.shakeTol = options.shakeTol ?? 1e-6;
    this.shakeMaxIter = options.shakeMaxIter ?? 20;
    check(
      Number.isFinite(this.tau) && this.tau >= 0,
      `temperature tau = ${options.tau} must be ≥ 0`,
      'use tau=0 for an optimizer, a small positive value to sample',
    );
    check(
      this.shakeTol > 0 && Number.isInteger(this.shakeMaxIter) && this.shakeMaxIter >= 1,
      `bad SHAKE settings tol=${this.shakeTol}, maxIter=${this.shakeMaxIter}`,
      'use shakeTol > 0 and an integer shakeMaxIter ≥ 1',
    );
    const c = options.constraints ?? [];
    this.rules =
      typeof c === 'string' || (Array.isArray(c) && typeof c[0] === 'string')
        ? parseConstraintSpec(c as string | string[])
        : (c as ConstraintRule[]);
    this.rng = new Random(this.seed);
  }

  /** One variable's update; runs inside a tidy, assigns the variable and the slot's state. */
  protected abstract stepVariable(variable: tf.Variable, slot: Slot, grad: tf.Tensor): void;

  /** The per-step parameters handed to the constraints. */
  protected abstract stepParams(): StepParams;

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((g) => g.name)
      : Object.keys(variableGradients);
    names.forEach((name, i) => {
      const grad = Array.isArray(variableGradients)
        ? variableGradients[i].tensor
        : variableGradients[name];
      if (grad == null) return;
      const variable = tf.engine().registeredVariables[name];
      check(
        variable != null,
        `optimizer got a gradient for "${name}", which is not a variable`,
        'pass gradients keyed by variable name',
      );
      const slot = this.slotFor(variable, i);
      tf.tidy(() => this.stepVariable(variable, slot, grad));
    });
    this.incrementIterations();
  }

  /**
   * Checks the constraint rules against the names of the variables this optimizer will update
   * (`checkRules`: every rule must act on one of them, no variable may have two rules); throws
   * a ReglabError naming the rule and listing the variables. Changes nothing.
   */
  checkVariables(names: readonly string[]): void {
    checkRules(this.rules, names);
  }

  /**
   * Moves the given variables onto their manifolds and creates their state now (variables
   * seen before, or restored by `setWeights`, keep theirs). The first call checks the rules
   * against these variables ({@link checkVariables}), so pass all the variables to be trained.
   */
  initialiseVariables(variables: readonly tf.Variable[]): void {
    if (!this.rulesChecked) {
      this.checkVariables(variables.map((v) => v.name));
      this.rulesChecked = true;
    }
    variables.forEach((v, i) => this.slotFor(v, i));
  }

  /**
   * Puts new variables on their manifolds before the gradient is taken, so that the first
   * step's gradient is the one at the constrained point (not at the raw initialisation).
   * With `varList` (tfjs-layers `fit`, reglab's Trainer) that is direct. Without one the
   * variables are those `f` reads: they are found from a first gradient, and when some of them
   * are new and constrained (the first step only), `f` runs a second time at the projected point.
   */
  override computeGradients(
    f: () => tf.Scalar,
    varList?: tf.Variable[],
  ): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    if (varList) {
      this.initialiseVariables(varList);
      return super.computeGradients(f, varList);
    }
    const first = super.computeGradients(f);
    const names = Object.keys(first.grads);
    const moves = (name: string) =>
      !this.slots.has(name) && resolveConstraint(this.rules, name).kind !== 'none';
    const registered = tf.engine().registeredVariables;
    if (!names.some(moves)) {
      this.initialiseVariables(names.map((name) => registered[name]));
      return first;
    }
    tf.dispose([first.value, ...Object.values(first.grads)]);
    this.initialiseVariables(names.map((name) => registered[name]));
    return super.computeGradients(f);
  }

  /** The constraint acting on a variable name. */
  constraintOf(name: string): Constraint {
    return this.slots.get(name)?.constraint ?? resolveConstraint(this.rules, name);
  }

  /** The state of a variable (after its first step), for tests and diagnostics. */
  slot(name: string): Slot | undefined {
    return this.slots.get(name);
  }

  /** max constraint residual per constrained variable (synchronous read). */
  residuals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, slot] of this.slots) {
      if (slot.constraint.kind === 'none') continue;
      const variable = tf.engine().registeredVariables[name];
      const r = slot.constraint.residual([variable, ...slot.aux]);
      out[name] = r.dataSync()[0];
      r.dispose();
    }
    return out;
  }

  private slotFor(variable: tf.Variable, index: number): Slot {
    const existing = this.slots.get(variable.name);
    if (existing) return existing;
    const constraint = resolveConstraint(this.rules, variable.name);
    constraint.checkShape(variable.shape, variable.name);
    let at = this.pending.findIndex((p) => p?.name === variable.name);
    if (at < 0) at = index;
    let restored = this.pending[at];
    if (restored && !this.fits(restored, constraint, variable)) restored = undefined;
    let aux: tf.Variable[];
    let vel: tf.Variable | null = null;
    if (restored) {
      this.pending[at] = undefined;
      aux = restored.aux.map((t) => tf.variable(t, false));
      if (this.usesVelocity)
        vel = tf.tidy(() => tf.variable(restored.vel ?? tf.zerosLike(variable), false));
      tf.dispose([...restored.aux, ...(restored.vel ? [restored.vel] : [])]);
    } else {
      const q = constraint.initialise(variable);
      variable.assign(q[0]);
      aux = q.slice(1).map((t) => tf.variable(t, false));
      if (this.usesVelocity) vel = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      tf.dispose(q);
    }
    const slot: Slot = { name: variable.name, constraint, aux, vel };
    this.slots.set(variable.name, slot);
    return slot;
  }

  private fits(p: Pending, constraint: Constraint, variable: tf.Variable): boolean {
    const same = (t: tf.Tensor): boolean => tf.util.arraysEqual(t.shape, variable.shape);
    if (p.aux.length !== constraint.auxNames.length || !p.aux.every(same)) {
      throw new ReglabError(
        `restored optimizer state for "${p.name}" (${p.aux.length} auxiliaries) does not fit variable "${variable.name}" [${variable.shape}] with constraint ${constraint.spec()}`,
        'load the optimizer weights into a model with the same layers and the same constraint rules',
      );
    }
    return p.vel === null || same(p.vel);
  }

  /** Common config entries (strings escaped for tfjs-layers, see encodeConfigString). */
  protected commonConfig(): tf.serialization.ConfigDict {
    return {
      tau: this.tau,
      seed: this.seed,
      constraints: this.rules.map((r) => encodeConfigString(ruleToSpec(r))),
      shakeTol: this.shakeTol,
      shakeMaxIter: this.shakeMaxIter,
    };
  }

  /** Reads {@link commonConfig} back. */
  protected static commonOptions(config: tf.serialization.ConfigDict): LangevinCommonOptions {
    const rules = (config.constraints as string[] | undefined) ?? [];
    return {
      tau: config.tau as number,
      seed: config.seed as number,
      constraints: rules.length ? parseConstraintSpec(rules.map(decodeConfigString)) : [],
      shakeTol: config.shakeTol as number,
      shakeMaxIter: config.shakeMaxIter as number,
    };
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    out.push({
      name: 'langevin/rng',
      tensor: tf.tensor1d(encodeRandomState(this.rng.state()), 'int32'),
    });
    const slots = [...this.slots.values()];
    const layout = slots.flatMap((s) => [s.aux.length, s.vel ? 1 : 0]);
    out.push({ name: 'langevin/layout', tensor: tf.tensor2d(layout, [slots.length, 2], 'int32') });
    for (const s of slots) {
      s.aux.forEach((t, k) =>
        out.push({ name: `${s.name}/${s.constraint.auxNames[k]}`, tensor: t }),
      );
      if (s.vel)
        out.push({
          name: `${s.name}/${s.constraint.kind === 'circle' ? 'omega' : 'velocity'}`,
          tensor: s.vel,
        });
    }
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    weightValues = await this.extractIterations(weightValues);
    check(
      weightValues.length >= 2 &&
        weightValues[0].name === 'langevin/rng' &&
        weightValues[1].name === 'langevin/layout',
      'these optimizer weights were not saved by a reglab Langevin optimizer',
      'load them into the optimizer class that saved them',
    );
    this.rng = new Random(decodeRandomState((await weightValues[0].tensor.data()) as Int32Array));
    const layout = (await weightValues[1].tensor.data()) as Int32Array;
    this.disposeSlots();
    let k = 2;
    for (let i = 0; i < layout.length / 2; i++) {
      const nAux = layout[2 * i];
      const aux = weightValues.slice(k, k + nAux).map((w) => tf.clone(w.tensor));
      k += nAux;
      const hasVel = layout[2 * i + 1] === 1;
      const velEntry = hasVel ? weightValues[k++] : null;
      const first = nAux > 0 ? weightValues[k - (hasVel ? 1 : 0) - nAux] : velEntry;
      const name = first ? first.name.slice(0, first.name.lastIndexOf('/')) : `slot${i}`;
      this.pending.push({ name, aux, vel: velEntry ? tf.clone(velEntry.tensor) : null });
    }
    check(
      k === weightValues.length,
      `optimizer weights: ${weightValues.length - k} entries left over`,
      'the saved layout and weights disagree; re-save the model',
    );
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) tf.dispose([...s.aux, ...(s.vel ? [s.vel] : [])]);
    this.slots.clear();
    for (const p of this.pending) if (p) tf.dispose([...p.aux, ...(p.vel ? [p.vel] : [])]);
    this.pending = [];
  }

  override dispose(): void {
    this.disposeSlots();
    super.dispose();
  }
}

// tf.Optimizer answers `instanceof` by duck typing (any optimizer "is" every Optimizer subclass);
// restore the prototype-chain test for the Langevin classes so `x instanceof UnderdampedLangevin`
// means what it says.
Object.defineProperty(LangevinOptimizer, Symbol.hasInstance, {
  value: function (this: abstract new (...args: never[]) => unknown, instance: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, instance);
  },
});

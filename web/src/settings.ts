/**
 * The lab's settings: what the controls show, what the URL carries, what the worker builds a run
 * from. Terms, optimizer and constraints are CLI spec strings (`--reg`, `--optimizer`,
 * `--constraint`), parsed and checked by the library's registries in the worker, so the lab
 * accepts exactly what `reglab train` accepts; a method preset only fills them in.
 */

/** The data sets the lab offers. */
export const LAB_DATASETS = ['peak', 'mnist', 'images'] as const;
export type LabDataset = (typeof LAB_DATASETS)[number];

/** Everything that defines a lab run. */
export interface LabSettings {
  dataset: LabDataset;
  trainSize: number;
  testSize: number;
  /** A zoo spec (`mlp:64`, `cnn`, …). */
  model: string;
  /** The preset the specs came from (`custom` once edited by hand). */
  method: string;
  /** λ of the preset's terms. */
  lambda: number;
  /** `--reg` specs. */
  regs: string[];
  /** `--optimizer` spec. */
  optimizer: string;
  /** `--constraint` specs (constrained Langevin optimizers). */
  constraints: string[];
  /** Learning rate of the TF.js optimizers (the Langevin ones take their step from the spec). */
  lr: number;
  batchSize: number;
  seed: number;
}

/** The model choices of the zoo offered in the lab (any zoo spec can be typed in the URL). */
export const LAB_MODELS: readonly { spec: string; label: string }[] = [
  { spec: 'mlp:64', label: 'MLP 784-64-C' },
  { spec: 'mlp:128,64', label: 'MLP 784-128-64-C' },
  { spec: 'cnn', label: 'small CNN (32, 64 filters)' },
  { spec: 'resnet:8:width=0.5', label: 'tiny ResNet-8 (8, 16, 32 filters)' },
];

/** A method preset: its specs as a function of λ. */
export interface MethodPreset {
  name: string;
  label: string;
  /** A λ that shows the method's effect within a few hundred steps on the peak set. */
  lambda: number;
  specs(lambda: number): Pick<LabSettings, 'regs' | 'optimizer' | 'constraints'>;
}

const adam = (regs: string[]) => ({ regs, optimizer: 'adam', constraints: [] });

/** The methods of the four papers and a combination; `custom` keeps hand-edited specs. */
export const METHOD_PRESETS: readonly MethodPreset[] = [
  { name: 'std', label: 'Std (no regularization)', lambda: 0, specs: () => adam([]) },
  {
    name: 'rr',
    label: 'RR (racecar reverse pass)',
    lambda: 1e-3,
    specs: (l) => adam([`racecar:${l}`]),
  },
  { name: 'ort', label: 'Ort (SRIP orthogonality)', lambda: 0.1, specs: (l) => adam([`ort:${l}`]) },
  { name: 'per', label: 'PER (projected error)', lambda: 0.1, specs: (l) => adam([`per:${l}`]) },
  { name: 'dr', label: 'DR (diversifying)', lambda: 0.1, specs: (l) => adam([`dr:${l}`]) },
  {
    name: 'langevin',
    label: 'constrained Langevin (CoLA-ud, circle)',
    lambda: 0,
    specs: () => ({
      regs: [],
      optimizer: 'cola-ud:h=0.3:gamma=1:tau=0',
      constraints: ['circle:0.05@dense_1'],
    }),
  },
  {
    name: 'rr+per',
    label: 'RR + PER',
    lambda: 1e-3,
    specs: (l) => adam([`racecar:${l}`, `per:${l}`]),
  },
];

/** The settings a fresh page starts with. */
export const DEFAULT_SETTINGS: LabSettings = {
  dataset: 'peak',
  trainSize: 500,
  testSize: 100,
  model: 'mlp:64',
  method: 'rr',
  lambda: 1e-3,
  ...METHOD_PRESETS[1].specs(1e-3),
  lr: 1e-3,
  batchSize: 32,
  seed: 1,
};

/** The settings with `preset`'s specs at `lambda`. */
export function applyPreset(
  settings: LabSettings,
  preset: MethodPreset,
  lambda: number,
): LabSettings {
  return { ...settings, method: preset.name, lambda, ...preset.specs(lambda) };
}

const NUMBER_KEYS = ['trainSize', 'testSize', 'lambda', 'lr', 'batchSize', 'seed'] as const;
const LIST_KEYS = { regs: 'reg', constraints: 'constraint' } as const;

/** The URL query of `settings` (lists as repeated keys, like the CLI's repeated flags). */
export function settingsToQuery(settings: LabSettings): string {
  const query = new URLSearchParams();
  query.set('dataset', settings.dataset);
  query.set('model', settings.model);
  query.set('method', settings.method);
  for (const key of NUMBER_KEYS) query.set(key, String(settings[key]));
  query.set('optimizer', settings.optimizer);
  for (const [field, key] of Object.entries(LIST_KEYS))
    for (const spec of settings[field as keyof typeof LIST_KEYS]) query.append(key, spec);
  return query.toString();
}

/**
 * The settings a URL query describes; absent keys keep their defaults. A value that is not
 * what the key takes is an error naming the key (nothing is silently dropped).
 */
export function settingsFromQuery(text: string): LabSettings {
  const query = new URLSearchParams(text);
  const settings: LabSettings = { ...DEFAULT_SETTINGS };
  const dataset = query.get('dataset');
  if (dataset !== null) {
    if (!(LAB_DATASETS as readonly string[]).includes(dataset))
      throw new Error(`URL: dataset=${dataset} is not one of ${LAB_DATASETS.join(', ')}`);
    settings.dataset = dataset as LabDataset;
  }
  for (const key of ['model', 'method', 'optimizer'] as const) {
    const value = query.get(key);
    if (value !== null) settings[key] = value;
  }
  for (const key of NUMBER_KEYS) {
    const value = query.get(key);
    if (value === null) continue;
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number))
      throw new Error(`URL: ${key}=${value} is not a number`);
    settings[key] = number;
  }
  if (query.has('method') || query.has('reg') || query.has('constraint')) {
    settings.regs = query.getAll('reg');
    settings.constraints = query.getAll('constraint');
  }
  return settings;
}

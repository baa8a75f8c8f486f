/**
 * The settings form: filled from {@link LabSettings}, read back into them. Picking a method
 * preset or changing λ rewrites the spec fields; editing a spec field by hand makes the method
 * `custom` (the specs are what runs).
 */
import {
  LAB_DATASETS,
  LAB_MODELS,
  METHOD_PRESETS,
  applyPreset,
  type LabDataset,
  type LabSettings,
} from './settings.js';

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function options(select: HTMLSelectElement, entries: readonly [string, string][]): void {
  select.replaceChildren(
    ...entries.map(([value, text]) =>
      Object.assign(document.createElement('option'), { value, text }),
    ),
  );
}

export class Controls {
  constructor(private readonly form: HTMLFormElement) {
    options(
      this.select('dataset'),
      LAB_DATASETS.map((d) => [d, d]),
    );
    options(this.select('method'), [
      ...METHOD_PRESETS.map((p): [string, string] => [p.name, p.label]),
      ['custom', 'custom (the specs below)'],
    ]);
    this.field('method').addEventListener('change', () => this.applyPreset(true));
    this.field('lambda').addEventListener('change', () => this.applyPreset(false));
    for (const name of ['regs', 'optimizer', 'constraints'])
      this.field(name).addEventListener('input', () => (this.field('method').value = 'custom'));
  }

  private field(name: string): Field {
    return this.form.elements.namedItem(name) as Field;
  }

  private select(name: string): HTMLSelectElement {
    return this.field(name) as HTMLSelectElement;
  }

  /** Rewrites the specs from the chosen preset (and its λ when `presetLambda`). */
  private applyPreset(presetLambda: boolean): void {
    const preset = METHOD_PRESETS.find((p) => p.name === this.field('method').value);
    if (!preset) return;
    const lambda = presetLambda ? preset.lambda : Number(this.field('lambda').value);
    this.show(applyPreset(this.read(), preset, lambda));
  }

  /** Shows `settings` in the form. */
  show(settings: LabSettings): void {
    const models = LAB_MODELS.map((m): [string, string] => [m.spec, `${m.label} (${m.spec})`]);
    if (!LAB_MODELS.some((m) => m.spec === settings.model))
      models.push([settings.model, settings.model]);
    options(this.select('model'), models);
    if (!METHOD_PRESETS.some((p) => p.name === settings.method))
      settings = { ...settings, method: 'custom' };
    for (const [key, value] of Object.entries(settings))
      this.field(key).value = Array.isArray(value) ? value.join('\n') : String(value);
  }

  /** The settings the form shows. */
  read(): LabSettings {
    const text = (name: string) => this.field(name).value.trim();
    const lines = (name: string) =>
      text(name)
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
    const number = (name: string) => {
      const value = Number(text(name));
      if (text(name) === '' || !Number.isFinite(value))
        throw new Error(`${name} "${text(name)}" is not a number`);
      return value;
    };
    return {
      dataset: text('dataset') as LabDataset,
      trainSize: number('trainSize'),
      testSize: number('testSize'),
      model: text('model'),
      method: text('method'),
      lambda: number('lambda'),
      regs: lines('regs'),
      optimizer: text('optimizer'),
      constraints: lines('constraints'),
      lr: number('lr'),
      batchSize: number('batchSize'),
      seed: number('seed'),
    };
  }
}

/**
 * The spec of generative DR for `reglab pretrain --dr`: `divergence[:maxPairs=N]:λ`, e.g.
 * `bhattacharyya:1e-2`, in reglab's one grammar (core/spec.ts); one schema per divergence.
 */
import { ReglabError } from '../../../core/errors.js';
import { Registry, type Factory, type SpecSchema } from '../../../core/spec.js';
import { DIVERGENCES, type DivergenceKind } from './divergence.js';
import type { GenerativeDrOptions } from './rbm.js';

function divergenceFactory(divergence: DivergenceKind): Factory<GenerativeDrOptions, void> {
  const schema: SpecSchema = {
    name: divergence,
    summary: `the ${divergence} divergence between the posteriors of different-class pairs`,
    options: { maxPairs: { type: 'number', integer: true, min: 1 } },
    value: { name: 'λ', type: 'number', min: 0, required: true },
  };
  return {
    schema,
    create: ({ options, value }) => ({
      divergence,
      lambda: value as number,
      maxPairs: options.maxPairs as number | undefined,
    }),
  };
}

/** The divergences generative DR accepts, by name. */
export const divergenceRegistry = new Registry<GenerativeDrOptions, void>(
  'divergence',
  DIVERGENCES.map(divergenceFactory),
);

/** Parses a generative DR spec; the error names the flag's accepted divergences. */
export function parseGenerativeDr(text: string): GenerativeDrOptions {
  try {
    return divergenceRegistry.create(text, undefined);
  } catch (err) {
    if (err instanceof ReglabError)
      throw new ReglabError(`--dr ${text}: ${err.message}`, `e.g. --dr bhattacharyya:1e-2`);
    throw err;
  }
}

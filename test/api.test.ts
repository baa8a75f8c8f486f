/**
 * The public API surface: `src/index.ts` lists its exports by name; this test pins the root
 * names and the method namespaces' names, so an export appears or disappears only on purpose
 * (update the lists here and say so in the change). It also checks the README's library
 * example names exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as reglab from '../src/index.js';

const ROOT = [
  'ACTIVATIONS',
  'ActivationSelector',
  'ActivationStatsMonitor',
  'BACKEND_NAMES',
  'DATASET_NAMES',
  'INPUT_NODE',
  'MutualInformationMonitor',
  'OPTIMIZER_DEFAULTS',
  'RUN_DEFAULTS',
  'RUN_FORMAT',
  'Random',
  'Registry',
  'ReglabError',
  'ResidualDense',
  'SAMPLINGS',
  'Trainer',
  'accuracy',
  'activationStats',
  'activationStatsFactory',
  'asSamples',
  'batches',
  'blocks',
  'buildModel',
  'buildReport',
  'builtinOptimizerFactories',
  'builtinRegistries',
  'canonicalExperiment',
  'canonicalRunConfig',
  'check',
  'compare',
  'copyWeightsFrom',
  'createModel',
  'datasetSize',
  'disposeBatch',
  'diversify',
  'expandGrid',
  'expandMatrix',
  'fileSystemHandler',
  'firstLayerSingularImages',
  'formatMeanStd',
  'formatNumber',
  'forwardTrace',
  'fusedActivationName',
  'generativeDr',
  'hasCheckpoint',
  'hiddenSites',
  'kernelMatrix',
  'kernelNodes',
  'langevin',
  'layerRole',
  'loadCheckpoint',
  'loadCifar10',
  'loadDataset',
  'loadImageFolder',
  'loadMnist',
  'loadModel',
  'loadPeak',
  'loadRunData',
  'makeBatch',
  'makeDataset',
  'matchTargets',
  'modelGraph',
  'mutualInformation',
  'mutualInformationFactory',
  'mutualInformationMonitor',
  'openRunFolder',
  'pairedComparison',
  'parseCsv',
  'parseMethod',
  'parseSpec',
  'peakTemplate',
  'per',
  'printSpec',
  'queueExecutor',
  'queueStatus',
  'racecar',
  'readMetrics',
  'readResult',
  'readRunConfig',
  'reconstructionSnapshots',
  'renderTable',
  'residualUnits',
  'resolveSites',
  'resultsTable',
  'rotate',
  'saveCheckpoint',
  'selectBackend',
  'selectSamples',
  'siteActivations',
  'siteNamed',
  'siteTensor',
  'softmaxCrossEntropy',
  'specUsage',
  'startQueueWorker',
  'subset',
  'summarize',
  'thicken',
  'traceLayer',
  'trainRun',
  'weightSpectrum',
];

const NAMESPACES: Record<string, string[]> = {
  racecar: [
    'ORTHOGONALITY_SCHEMA',
    'OrthogonalityTerm',
    'RACECAR_SCHEMA',
    'REVERSE_STARTS',
    'RacecarTerm',
    'SUPPORTED_LAYERS',
    'checkReversible',
    'frobeniusDeviation',
    'modelKernels',
    'orthogonality',
    'orthogonalityFactory',
    'racecar',
    'racecarFactory',
    'reconstruct',
    'reconstructionLoss',
    'reversePass',
    'reverseStart',
    'sripSigma',
    'sripSquared',
    'termFactories',
  ],
  per: [
    'ActivationNormPenalty',
    'ActivationTerm',
    'DecovTerm',
    'PerTerm',
    'VclTerm',
    'decov',
    'decovFactory',
    'decovPenalty',
    'l1Activation',
    'l1ActivationFactory',
    'l2Activation',
    'l2ActivationFactory',
    'per',
    'perFactory',
    'projectedError',
    'projectedErrorFunction',
    'projectedErrorLoss',
    'projectedErrorScalar',
    'termFactories',
    'vcl',
    'vclFactory',
  ],
};

test('the root exports exactly the listed names', () => {
  assert.deepEqual(Object.keys(reglab).sort(), [...ROOT].sort());
});

test('the racecar and per namespaces export exactly the listed names', () => {
  for (const [name, expected] of Object.entries(NAMESPACES)) {
    const namespace = (reglab as unknown as Record<string, object>)[name];
    assert.deepEqual(Object.keys(namespace).sort(), [...expected].sort(), name);
  }
});

test("every name the README's library example imports is exported", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const imports = [...readme.matchAll(/import \{([^}]+)\} from 'reglab'/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  assert.ok(imports.length > 0, 'the README imports from reglab');
  for (const name of imports) assert.ok(name in reglab, `README imports ${name}`);
});

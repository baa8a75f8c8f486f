/**
 * Time per training step of the CIFAR ResNets on random CIFAR-shaped data (32×32×3, 10
 * classes), as CPU seconds of this process (user + system) and wall seconds, per method.
 * Extrapolates to one CIFAR-10 epoch (50,000 images).
 *
 *   npx tsx bench/resnet-step.ts [--backend native] [--batch 64] [--steps 2] [resnet:20:std,resnet:110:racecar:mean:0.01 …]
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Random,
  Trainer,
  buildModel,
  builtinRegistries,
  makeDataset,
  selectBackend,
  type BackendName,
} from '../src/index.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const backend = flag('backend', 'native') as BackendName;
const batch = Number(flag('batch', '64'));
const steps = Number(flag('steps', '2'));
const cases = args.length > 0 ? args : ['resnet:20:std', 'resnet:20:racecar:mean:0.01'];

await selectBackend(backend, { log: () => {} });
const rng = new Random(1);
const n = batch;
const x = Float32Array.from({ length: n * 32 * 32 * 3 }, () => rng.uniform());
const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
const data = makeDataset({
  name: 'random-cifar',
  x,
  labels,
  sampleShape: [32, 32, 3],
  numClasses: 10,
});
const { terms } = builtinRegistries();
console.log(`backend ${tf.getBackend()}, batch ${batch}, ${steps} timed steps after one warm-up`);
console.log('model | method | CPU s/step | wall s/step | CPU s per 50k-image epoch');
for (const text of cases) {
  const [kind, depth, ...method] = text.split(':');
  const spec = method.join(':');
  const model = buildModel(`${kind}:${depth}`, { inputShape: [32, 32, 3], numClasses: 10, rng });
  const trainer = new Trainer({
    model,
    optimizer: tf.train.momentum(0.1, 0.9),
    terms: spec === 'std' ? [] : [terms.create(spec, { rng })],
    rng,
  });
  await trainer.trainEpoch(data, batch, false); // warm-up: builds the optimizer state
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let s = 0; s < steps; s++) await trainer.trainEpoch(data, batch, false);
  const cpu = process.cpuUsage(cpu0);
  const cpuPerStep = (cpu.user + cpu.system) / 1e6 / steps;
  const wallPerStep = (performance.now() - wall0) / 1000 / steps;
  console.log(
    `${kind}:${depth} | ${spec} | ${cpuPerStep.toFixed(2)} | ${wallPerStep.toFixed(2)} | ${((cpuPerStep * 50000) / batch / 3600).toFixed(2)} h`,
  );
  trainer.optimizer.dispose();
  model.dispose();
}

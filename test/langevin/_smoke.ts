import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { UnderdampedLangevin, OverdampedLangevin, orthogonal, circle } from '../../src/langevin/index.js';
const backend = process.argv[2] ?? 'wasm';
await tf.setBackend(backend); await tf.ready();
for (const shape of [[784,100],[64,576],[576,64],[3,3,16,32]]) {
  for (const Opt of ['ud','od']) {
    const v = tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', 1), true, `k${shape.join('x')}${Opt}/kernel`);
    const opt = Opt==='ud' ? new UnderdampedLangevin({lr:0.1, momentum:0.9, tau:1e-4, constraints:[{pattern:/kernel/, constraint: orthogonal()}]})
      : new OverdampedLangevin({h:0.1, tau:1e-6, constraints:[{pattern:/kernel/, constraint: orthogonal()}]});
    const n = 3;
    let worst=0; let t=0;
    for (let i=0;i<n+1;i++){
      if (i===1) t=performance.now();
      const g = tf.randomNormal(shape,0,0.01,'float32',i+7);
      opt.applyGradients({[v.name]: g}); g.dispose();
      worst=Math.max(worst, opt.residuals()[v.name]);
    }
    console.log(backend, shape.join('x'), Opt, 'ms/step', ((performance.now()-t)/n).toFixed(2), 'worst', worst.toExponential(2), 'tensors', tf.memory().numTensors);
    opt.dispose(); v.dispose();
  }
}
const w = tf.variable(tf.randomUniform([1000,784],-0.06,0.06,'float32',3), true, 'c/kernel');
const opt = new UnderdampedLangevin({h:0.3, gamma:1, tau:1e-3, constraints:'circle:0.05@c'});
let worst=0;
for (let i=0;i<200;i++){ const g = tf.randomNormal([1000,784],0,0.01,'float32',i); opt.applyGradients({[w.name]:g}); g.dispose(); worst=Math.max(worst,opt.residuals()[w.name]); }
console.log('circle worst', worst, tf.max(tf.abs(w)).dataSync()[0]);

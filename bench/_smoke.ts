import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { registerNativeBackend } from '../src/backend/native-backend.js';
import { nativeKernelCounts } from '../src/backend/native-kernels.js';
registerNativeBackend();
await tf.setBackend('native');
const a = tf.randomNormal([3, 5, 7], 0, 1, 'float32', 1), b = tf.randomNormal([3, 7, 4], 0, 1, 'float32', 2);
const r = tf.matMul(a, b).arraySync();
const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 3), f = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4);
const c = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same');
const g = tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')), 2, 2, 'same')));
const [gx, gf] = g([x, f]);
const vals = [r, c.arraySync(), gx.arraySync(), gf.arraySync(), tf.sum(x, [0, 2]).arraySync(), tf.transpose(x, [3, 1, 0, 2]).arraySync()];
await tf.setBackend('cpu');
const r2 = tf.matMul(a, b).arraySync();
const c2 = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same');
const [gx2, gf2] = g([x, f]);
const vals2 = [r2, c2.arraySync(), gx2.arraySync(), gf2.arraySync(), tf.sum(x, [0, 2]).arraySync(), tf.transpose(x, [3, 1, 0, 2]).arraySync()];
for (let i = 0; i < vals.length; i++) {
  const p = (vals[i] as any).flat(5) as number[], q = (vals2[i] as any).flat(5) as number[];
  const scale = Math.max(...q.map(Math.abs));
  console.log(i, p.length, q.length, Math.max(...p.map((v, j) => Math.abs(v - q[j]))) / scale);
}
console.log(nativeKernelCounts);

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { registerNativeBackend } from '../src/backend/native-backend.js';
registerNativeBackend();
await tf.setBackend('native');
const e = tf.cast(tf.equal(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 3])), 'float32');
const b = tf.backend() as any;
console.log(e.dtype, b.data.get(e.dataId).values?.constructor.name);

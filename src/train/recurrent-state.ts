/**
 * The recurrent state carried from one batch to the next in truncated back-propagation
 * through time (TBPTT): batch k + 1 of a token-stream data set (data/text.ts) continues the
 * streams of batch k, so every recurrent layer starts from the state the previous batch ended
 * in — and no gradient flows back into the previous batch. The PyTorch word-language-model
 * example does it with `hidden = repackage_hidden(hidden)`:
 *
 *     # Starting each batch, we detach the hidden state from how it was previously produced.
 *     # If we didn't, the model would try backpropagating all the way to start of the dataset.
 *
 * How here: the forward trace (train/trace.ts) runs a recurrent layer with
 * `initialState = initial(node)` and records its final states (`returnState` for that call).
 * {@link record} keeps them past the step's gradient scope (`tf.keep`); in the next step they
 * enter the tape as plain tensors, not variables, so the gradient stops there — the detach.
 * tfjs-layers' own `stateful: true` is not used: it fixes the batch size inside the model (the
 * valid/test streams are fewer than the training ones) and keeps every training-mode state
 * until `resetStates()`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Per recurrent node, the state tensors (`[h, c]` for an LSTM) the next batch starts from. */
export class RecurrentState {
  private current = new Map<string, tf.Tensor[]>();
  private recorded = new Map<string, tf.Tensor[]>();

  /** The state node `name` starts this batch from; undefined at the start (zeros). */
  initial(name: string): tf.Tensor[] | undefined {
    return this.current.get(name);
  }

  /** Records the state node `name` ended this batch in (kept past the current scope). */
  record(name: string, states: readonly tf.Tensor[]): void {
    tf.dispose(this.recorded.get(name));
    this.recorded.set(
      name,
      states.map((state) => tf.keep(state)),
    );
  }

  /** After a finished step: the recorded states become the next batch's initial states. */
  advance(): void {
    for (const [name, states] of this.recorded) {
      tf.dispose(this.current.get(name));
      this.current.set(name, states);
    }
    this.recorded = new Map();
  }

  /** Drops what a failed step recorded; the initial states stay. */
  discard(): void {
    for (const states of this.recorded.values()) tf.dispose(states);
    this.recorded = new Map();
  }

  /** Back to zero states (the start of an epoch or of an evaluation); frees every tensor. */
  reset(): void {
    this.discard();
    for (const states of this.current.values()) tf.dispose(states);
    this.current = new Map();
  }
}

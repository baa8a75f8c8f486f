/**
 * A generated word-level corpus for language-model runs without downloads: sentences drawn
 * from a small probabilistic context-free grammar, every choice through the seeded
 * {@link Random}, written as text lines and tokenized like PTB (data/text.ts: `<eos>` after
 * every sentence).
 *
 * The grammar has what makes a recurrent model useful: subject–verb number agreement across an
 * optional prepositional phrase ("the dog near the cats **runs**"), so predicting the verb needs
 * the subject several tokens back, and nested noun phrases of geometric depth. 53 words
 * plus `<eos>`. Rules (probabilities in brackets; a word class draws its word uniformly):
 *
 *     S     → NP_n VP_n                         n = sg [½] | pl [½]
 *     NP_n  → Det_n N_n [.6] | Det_n Adj N_n [.25] | Det_n N_n PP [.15]
 *     PP    → P NP_sg [½] | P NP_pl [½]
 *     VP_n  → Vi_n [.35] | Vt_n NP_sg [.25] | Vt_n NP_pl [.25] | Vi_n Adv [.15]
 *
 * Beyond {@link MAX_DEPTH} nested rules the first (non-recursive) alternative is taken, so every
 * sentence ends (the cap is reached with probability < 1e-6 per sentence).
 */
import { check } from '../core/errors.js';
import type { Random } from '../core/random.js';

/** A rule's alternatives: [probability, right-hand side]. */
type Alternatives = readonly (readonly [number, readonly string[]])[];

const RULES: Readonly<Record<string, Alternatives>> = {
  S: [
    [0.5, ['NP_sg', 'VP_sg']],
    [0.5, ['NP_pl', 'VP_pl']],
  ],
  NP_sg: [
    [0.6, ['Det_sg', 'N_sg']],
    [0.25, ['Det_sg', 'Adj', 'N_sg']],
    [0.15, ['Det_sg', 'N_sg', 'PP']],
  ],
  NP_pl: [
    [0.6, ['Det_pl', 'N_pl']],
    [0.25, ['Det_pl', 'Adj', 'N_pl']],
    [0.15, ['Det_pl', 'N_pl', 'PP']],
  ],
  PP: [
    [0.5, ['P', 'NP_sg']],
    [0.5, ['P', 'NP_pl']],
  ],
  VP_sg: [
    [0.35, ['Vi_sg']],
    [0.25, ['Vt_sg', 'NP_sg']],
    [0.25, ['Vt_sg', 'NP_pl']],
    [0.15, ['Vi_sg', 'Adv']],
  ],
  VP_pl: [
    [0.35, ['Vi_pl']],
    [0.25, ['Vt_pl', 'NP_sg']],
    [0.25, ['Vt_pl', 'NP_pl']],
    [0.15, ['Vi_pl', 'Adv']],
  ],
};

const LEXICON: Readonly<Record<string, readonly string[]>> = {
  Det_sg: ['the', 'a', 'this'],
  Det_pl: ['the', 'some', 'these'],
  N_sg: ['cat', 'dog', 'bird', 'child', 'teacher', 'farmer', 'river', 'garden', 'house', 'city'],
  N_pl: [
    'cats',
    'dogs',
    'birds',
    'children',
    'teachers',
    'farmers',
    'rivers',
    'gardens',
    'houses',
    'cities',
  ],
  Adj: ['small', 'old', 'red', 'quiet', 'happy'],
  P: ['near', 'behind', 'with', 'under'],
  Vi_sg: ['sleeps', 'runs', 'waits', 'sings'],
  Vi_pl: ['sleep', 'run', 'wait', 'sing'],
  Vt_sg: ['sees', 'likes', 'finds', 'follows'],
  Vt_pl: ['see', 'like', 'find', 'follow'],
  Adv: ['today', 'quickly', 'again'],
};

/** Nesting depth after which a rule takes its first alternative. */
export const MAX_DEPTH = 12;

/** Expands `symbol` into words, appending them to `out`; returns the log-probability of the draw. */
function expand(symbol: string, rng: Random, depth: number, out: string[]): number {
  const words = LEXICON[symbol];
  if (words) {
    out.push(words[rng.int(words.length)]);
    return -Math.log(words.length);
  }
  const alternatives = RULES[symbol];
  let [chosenProbability, chosen] = [1, alternatives[0][1]];
  if (depth < MAX_DEPTH) {
    let u = rng.uniform();
    for (const [probability, rhs] of alternatives) {
      [chosenProbability, chosen] = [probability, rhs];
      u -= probability;
      if (u < 0) break;
    }
  }
  let logProbability = Math.log(chosenProbability);
  for (const part of chosen) logProbability += expand(part, rng, depth + 1, out);
  return logProbability;
}

/** One sentence of the grammar, as words (no `<eos>`), and the log-probability of drawing it. */
export function grammarSample(rng: Random): { words: string[]; logProbability: number } {
  const words: string[] = [];
  const logProbability = expand('S', rng, 0, words);
  return { words, logProbability };
}

/** One sentence of the grammar, as words (no `<eos>`). */
export function grammarSentence(rng: Random): string[] {
  return grammarSample(rng).words;
}

/**
 * The grammar's entropy per token (nats, `<eos>` counted), estimated from `sentences` draws:
 * E[−log p(sentence)] / E[tokens per sentence]. Every sentence has one derivation (a PP closes
 * the noun phrase it follows; the noun fixes the number of a shared determiner), so p(sentence)
 * is the derivation's probability, and exp(entropy) is the lowest perplexity any model of the
 * token stream can reach — the floor for the language-model experiments.
 */
export function grammarEntropy(rng: Random, sentences: number): number {
  let negativeLogProbability = 0;
  let tokens = 0;
  for (let i = 0; i < sentences; i++) {
    const { words, logProbability } = grammarSample(rng);
    negativeLogProbability -= logProbability;
    tokens += words.length + 1;
  }
  return negativeLogProbability / tokens;
}

/**
 * Text of whole sentences, one per line, with at least `tokens` tokens counting one `<eos>` per
 * line (so its tokenization has `tokens` to `tokens` + one sentence tokens).
 */
export function grammarText(rng: Random, tokens: number): string {
  check(
    Number.isInteger(tokens) && tokens > 0,
    `grammar corpus: ${tokens} tokens is not a positive whole number`,
    'pass a positive --train-size/--test-size',
  );
  const lines: string[] = [];
  let count = 0;
  while (count < tokens) {
    const sentence = grammarSentence(rng);
    lines.push(sentence.join(' '));
    count += sentence.length + 1;
  }
  return lines.join('\n') + '\n';
}

/** Every word the grammar can produce (without `<eos>`). */
export function grammarWords(): string[] {
  return [...new Set(Object.values(LEXICON).flat())];
}

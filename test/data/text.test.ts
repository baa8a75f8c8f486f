/**
 * The language-model corpora: PTB/WikiText-2 token files (fixtures written here), the
 * vocabulary and `<eos>`/`<unk>` as the PyTorch example reads them, TBPTT windows against a
 * hand-written layout, the named errors, and the generated grammar corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import { Random } from '../../src/core/random.js';
import { ReglabError } from '../../src/core/errors.js';
import { makeBatch } from '../../src/data/dataset.js';
import { grammarSentence, grammarText, grammarWords } from '../../src/data/grammar.js';
import { loadDataset } from '../../src/data/registry.js';
import {
  EOS,
  loadTokenFolder,
  streamWindows,
  tokenizeLines,
  Vocabulary,
} from '../../src/data/text.js';
import { useBackend } from '../support.js';
import { tempDir } from './fixtures.js';

await useBackend();

/** A PTB-style folder: leading spaces, `<unk>` in the text, one sentence per line. */
function writePtb(dir: string): string {
  writeFileSync(join(dir, 'ptb.train.txt'), ' the cat <unk> \n the dog sat \n');
  writeFileSync(join(dir, 'ptb.valid.txt'), ' a cat \n');
  writeFileSync(join(dir, 'ptb.test.txt'), ' the bird\n');
  return dir;
}

test('PTB files: vocabulary in order of first appearance over train, valid, test; <eos> after every line; <unk> an ordinary word', () => {
  const corpus = loadTokenFolder(writePtb(tempDir()), 'ptb');
  assert.deepEqual(corpus.vocabulary.words, [
    'the',
    'cat',
    '<unk>',
    '<eos>',
    'dog',
    'sat',
    'a',
    'bird',
  ]);
  assert.deepEqual([...corpus.train], [0, 1, 2, 3, 0, 4, 5, 3]);
  assert.deepEqual([...corpus.valid], [6, 1, 3]);
  // A last line without a newline still ends with <eos>.
  assert.deepEqual([...corpus.test], [0, 7, 3]);
});

test('WikiText-2 lines: an empty line gives a lone <eos>; \\r\\n counts as \\n; the final newline adds no line', () => {
  const vocabulary = new Vocabulary();
  const ids = tokenizeLines(' = Title = \r\n \n words here\n', vocabulary);
  assert.deepEqual(
    [...ids].map((id) => vocabulary.words[id]),
    ['=', 'Title', '=', EOS, EOS, 'words', 'here', EOS],
  );
  const dir = tempDir();
  for (const part of ['train', 'valid', 'test'])
    writeFileSync(join(dir, `wiki.${part}.tokens`), ` = A = \n \n b <unk> \n`);
  const corpus = loadTokenFolder(dir, 'wikitext2');
  assert.equal(corpus.train.length, 8);
  assert.deepEqual(corpus.vocabulary.words, ['=', 'A', EOS, 'b', '<unk>']);
});

test('missing token files: a ReglabError naming the folder and every missing file', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'ptb.train.txt'), 'a\n');
  assert.throws(
    () => loadTokenFolder(dir, 'ptb'),
    (error: Error) =>
      error instanceof ReglabError &&
      error.message.includes(resolve(dir)) &&
      error.message.includes('ptb.valid.txt, ptb.test.txt') &&
      !error.message.includes('lacks ptb.train.txt'),
  );
  assert.throws(
    () => loadTokenFolder(join(dir, 'nowhere'), 'wikitext2'),
    /is not a folder.*wiki\.train\.tokens, wiki\.valid\.tokens, wiki\.test\.tokens/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'ptb', streams: 2 }),
    /needs a data directory.*ptb\.train\.txt/,
  );
});

test('TBPTT windows: B streams of ⌊n/B⌋ tokens, sample w·B + s = window w of stream s, targets shifted by one', () => {
  // 23 tokens, 2 streams: stream 0 = 0…10, stream 1 = 11…21 (22 dropped, as batchify does);
  // ⌊(11 − 1)/3⌋ = 3 windows of 3; the last target of stream 0 is 9 (token 10 left out).
  const tokens = Int32Array.from({ length: 23 }, (_, i) => i);
  const data = streamWindows(tokens, { streams: 2, bptt: 3, vocabularySize: 23, name: 't' });
  assert.equal(data.streams, 2);
  assert.deepEqual(data.sampleShape, [3]);
  assert.deepEqual([...data.x], [0, 1, 2, 11, 12, 13, 3, 4, 5, 14, 15, 16, 6, 7, 8, 17, 18, 19]);
  assert.deepEqual(
    [...(data.targets as Int32Array)],
    [1, 2, 3, 12, 13, 14, 4, 5, 6, 15, 16, 17, 7, 8, 9, 18, 19, 20],
  );
  assert.deepEqual([...data.labels], [3, 14, 6, 17, 9, 20]);
  // A batch is one window of every stream; its one-hot rows are sample-major positions.
  const batch = makeBatch(data, [2, 3]);
  assert.deepEqual(batch.x.shape, [2, 3]);
  assert.deepEqual(batch.y.shape, [6, 23]);
  assert.deepEqual([...batch.labels], [4, 5, 6, 15, 16, 17]);
  assert.deepEqual(Array.from(tf.argMax(batch.y, -1).dataSync()), [4, 5, 6, 15, 16, 17]);
  batch.x.dispose();
  batch.y.dispose();
  assert.throws(
    () => streamWindows(tokens, { streams: 8, bptt: 3, vocabularySize: 23, name: 'tiny' }),
    /23 tokens give no full window of 3 tokens in each of 8 streams/,
  );
});

test('loadDataset ptb: train batched into --batch-size streams, valid/test into 10; tokens cut by --train-size', () => {
  const dir = tempDir();
  const line = ' a b c d e f g h i j \n';
  writeFileSync(join(dir, 'ptb.train.txt'), line.repeat(10)); // 110 tokens
  writeFileSync(join(dir, 'ptb.valid.txt'), line.repeat(10));
  writeFileSync(join(dir, 'ptb.test.txt'), line.repeat(10));
  const split = loadDataset({ dataset: 'ptb', dataDir: dir, streams: 4, bptt: 5 });
  assert.equal(split.train.streams, 4);
  assert.equal(split.train.labels.length, 4 * Math.floor((Math.floor(110 / 4) - 1) / 5));
  assert.equal(split.valid?.streams, 10);
  assert.equal(split.test.labels.length, 10 * 2);
  assert.equal(split.train.numClasses, 11);
  assert.equal(split.train.classNames?.[10], EOS);
  const cut = loadDataset({ dataset: 'ptb', dataDir: dir, streams: 4, bptt: 5, trainSize: 44 });
  assert.equal(cut.train.labels.length, 4 * 2);
  assert.throws(
    () => loadDataset({ dataset: 'ptb', dataDir: dir, streams: 4, sampling: 'random' }),
    /does not take --sampling random/,
  );
  assert.throws(
    () => loadDataset({ dataset: 'peak', bptt: 35 }),
    /--bptt applies to the text sets/,
  );
});

test('grammar corpus: seeded, only its own words, and the verb agrees in number with the subject', () => {
  const words = new Set(grammarWords());
  const nouns = 'cat dog bird child teacher farmer river garden house city'.split(' ');
  const singularNouns = new Set(nouns);
  const pluralNouns = new Set(
    'cats dogs birds children teachers farmers rivers gardens houses cities'.split(' '),
  );
  const verbs = 'sleep run wait sing see like find follow'.split(' ');
  const singularVerbs = new Set(verbs.map((v) => `${v}s`));
  const pluralVerbs = new Set(verbs);
  const rng = new Random(3);
  let checked = 0;
  let withPhrase = 0;
  for (let i = 0; i < 2000; i++) {
    const sentence = grammarSentence(rng);
    for (const word of sentence) assert.ok(words.has(word), `unknown word ${word}`);
    const subject = sentence.find((w) => singularNouns.has(w) || pluralNouns.has(w));
    const verbIndex = sentence.findIndex((w) => singularVerbs.has(w) || pluralVerbs.has(w));
    assert.ok(subject !== undefined && verbIndex > 0, `no subject or verb: ${sentence.join(' ')}`);
    if (sentence.slice(0, verbIndex).some((w) => ['near', 'behind', 'with', 'under'].includes(w)))
      withPhrase += 1;
    assert.equal(
      singularNouns.has(subject),
      singularVerbs.has(sentence[verbIndex]),
      `agreement: ${sentence.join(' ')}`,
    );
    checked += 1;
  }
  assert.ok(withPhrase > 100, `${checked} sentences, ${withPhrase} with a PP before the verb`);
  const a = grammarText(new Random(1), 500);
  assert.equal(a, grammarText(new Random(1), 500));
  assert.notEqual(a, grammarText(new Random(2), 500));
  const split = loadDataset({ dataset: 'grammar', streams: 5, trainSize: 2000, testSize: 800 });
  assert.ok(split.train.numClasses <= words.size + 1);
  assert.ok(split.valid !== undefined && split.valid.labels.length > 0);
});

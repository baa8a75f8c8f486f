/**
 * Word-level language-model corpora: the standard token files of Penn Treebank and WikiText-2
 * from a folder the user gives, a vocabulary, and the batching of truncated back-propagation
 * through time (TBPTT) as a {@link Dataset} the trainer reads in order.
 *
 * Tokenizing follows the PyTorch word-language-model example (pytorch/examples,
 * `word_language_model/data.py`), which the published PTB/WikiText-2 numbers are usually
 * measured with:
 *
 *     for line in f:
 *         words = line.split() + ['<eos>']
 *         for word in words:
 *             self.dictionary.add_word(word)
 *
 * run over train, valid and test in that order: every line is split on white space and ends
 * with `<eos>` (an empty line of WikiText-2 gives a lone `<eos>`), ids are given in order of
 * first appearance, and `<unk>` is an ordinary word — both sets already replaced rare words by
 * `<unk>` in their files, so nothing is mapped here.
 *
 * Batching follows the same example's `batchify` and `get_batch`:
 *
 *     nbatch = data.size(0) // bsz                 # tokens per stream
 *     data = data.narrow(0, 0, nbatch * bsz)       # drop the remainder
 *     data = data.view(bsz, -1).t()                # stream s = tokens [s·nbatch, (s+1)·nbatch)
 *     seq_len = min(args.bptt, len(source) - 1 - i)
 *     data = source[i:i+seq_len]; target = source[i+1:i+1+seq_len]
 *
 * Window w of stream s is sample `w·B + s`: its inputs are tokens [w·T, w·T + T) of the stream,
 * its targets the same positions shifted by one. So batch w (samples w·B … w·B + B − 1, no
 * shuffling) holds window w of every stream, and batch w + 1 continues each of them: the
 * trainer carries the LSTM state from one batch to the next (train/recurrent-state.ts). Our
 * one difference: the last, shorter window of each stream (fewer than T targets) is dropped, so
 * every batch has the same shape; that leaves out fewer than B·T tokens of a split.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { check, ReglabError } from '../core/errors.js';
import { makeDataset, type DataSplit, type Dataset } from './dataset.js';

/** The end-of-sentence token appended to every line. */
export const EOS = '<eos>';
/** The unknown-word token PTB and WikiText-2 already use in their files. */
export const UNK = '<unk>';

/** Words ↔ ids, in order of first appearance (PyTorch's `Dictionary`). */
export class Vocabulary {
  readonly words: string[] = [];
  private readonly ids = new Map<string, number>();

  /** The id of `word`, adding it when new. */
  add(word: string): number {
    let id = this.ids.get(word);
    if (id === undefined) {
      id = this.words.length;
      this.words.push(word);
      this.ids.set(word, id);
    }
    return id;
  }

  /** The id of `word`, or undefined when it is not in the vocabulary. */
  id(word: string): number | undefined {
    return this.ids.get(word);
  }

  get size(): number {
    return this.words.length;
  }
}

/**
 * The token ids of `text`, growing `vocabulary`: every line split on white space, `<eos>`
 * appended (see the file comment). A final newline does not make an extra empty line (Python's
 * line iteration does not either); `\r\n` line ends count as `\n`.
 */
export function tokenizeLines(text: string, vocabulary: Vocabulary): Int32Array {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const ids: number[] = [];
  for (const line of lines) {
    for (const word of line.split(/\s+/)) if (word !== '') ids.push(vocabulary.add(word));
    ids.push(vocabulary.add(EOS));
  }
  return Int32Array.from(ids);
}

/** A tokenized corpus: one vocabulary, three token streams. */
export interface TokenCorpus {
  readonly name: string;
  readonly vocabulary: Vocabulary;
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

/** The standard file names of the corpora {@link loadTokenFolder} reads. */
export const TOKEN_FILES = {
  ptb: ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'],
  wikitext2: ['wiki.train.tokens', 'wiki.valid.tokens', 'wiki.test.tokens'],
} as const;
export type TokenFolderName = keyof typeof TOKEN_FILES;

const DOWNLOAD_HINTS: Record<TokenFolderName, string> = {
  ptb: 'the Mikolov PTB files (simple-examples/data/ptb.*.txt) are distributed with the PyTorch, TensorFlow and AWD-LSTM example code',
  wikitext2:
    'WikiText-2 (word level, wikitext-2-v1) ships wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens',
};

/**
 * Reads and tokenizes the three token files of `name` in `dir` (train, valid, test: the
 * vocabulary grows in that order, as in the PyTorch example).
 * @throws ReglabError naming the folder and the files it lacks.
 */
export function loadTokenFolder(dir: string, name: TokenFolderName): TokenCorpus {
  const files = TOKEN_FILES[name];
  const isFolder = existsSync(dir) && statSync(dir).isDirectory();
  const missing = files.filter((file) => !isFolder || !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new ReglabError(
      `${name}: ${resolve(dir)} ${isFolder ? `lacks ${missing.join(', ')}` : 'is not a folder'}`,
      `pass --data-dir with a folder holding ${files.join(', ')}; ${DOWNLOAD_HINTS[name]}`,
    );
  }
  const vocabulary = new Vocabulary();
  const [train, valid, test] = files.map((file) =>
    tokenizeLines(readFileSync(join(dir, file), 'utf8'), vocabulary),
  );
  return { name, vocabulary, train, valid, test };
}

/** Streams of the valid and test splits (the PyTorch example's `eval_batch_size`). */
export const EVAL_STREAMS = 10;
/** Default window length T (the PyTorch example's `--bptt`). */
export const DEFAULT_BPTT = 35;

/** How {@link textSplit} batches a corpus. */
export interface TextSplitOptions {
  /** Streams of the training split (the training batch size). */
  streams: number;
  /** Window length T (default {@link DEFAULT_BPTT}). */
  bptt?: number;
  /** Use the first N training tokens (default all). */
  trainSize?: number;
  /** Use the first N tokens of valid and of test (default all). */
  testSize?: number;
  /** Streams of valid and test (default {@link EVAL_STREAMS}). */
  evalStreams?: number;
}

/** The train/valid/test windows of a corpus; the vocabulary becomes the class names. */
export function textSplit(corpus: TokenCorpus, options: TextSplitOptions): DataSplit {
  const bptt = options.bptt ?? DEFAULT_BPTT;
  const evalStreams = options.evalStreams ?? EVAL_STREAMS;
  const split = (tokens: Int32Array, part: string, size: number | undefined, streams: number) => ({
    ...streamWindows(size === undefined ? tokens : tokens.subarray(0, size), {
      streams,
      bptt,
      vocabularySize: corpus.vocabulary.size,
      name: `${corpus.name}/${part}`,
    }),
    classNames: corpus.vocabulary.words,
  });
  return {
    train: split(corpus.train, 'train', options.trainSize, options.streams),
    valid: split(corpus.valid, 'valid', options.testSize, evalStreams),
    test: split(corpus.test, 'test', options.testSize, evalStreams),
  };
}

/** A data set made of TBPTT windows (see the file comment). */
export interface StreamOptions {
  /** Parallel streams B (the batch size). */
  streams: number;
  /** Window length T (`bptt`). */
  bptt: number;
  /** Vocabulary size V (the number of classes). */
  vocabularySize: number;
  name: string;
}

/**
 * The TBPTT windows of `tokens` as a data set: sample `w·B + s` is window w of stream s,
 * inputs `x` (token ids as floats, shape [T]) and `targets` (the next tokens, [T]); `labels`
 * holds the last target of each window. Read in order in batches of B (`streams`).
 * @throws ReglabError when the tokens do not fill one window per stream.
 */
export function streamWindows(tokens: Int32Array, options: StreamOptions): Dataset {
  const { streams, bptt, vocabularySize, name } = options;
  check(
    Number.isInteger(streams) && streams > 0 && Number.isInteger(bptt) && bptt > 0,
    `${name}: ${streams} streams × bptt ${bptt} is not a valid batching`,
    'use positive whole numbers (the batch size is the number of streams)',
  );
  const perStream = Math.floor(tokens.length / streams);
  const windows = Math.floor((perStream - 1) / bptt);
  check(
    windows > 0,
    `${name}: ${tokens.length} tokens give no full window of ${bptt} tokens in each of ${streams} streams`,
    'use more tokens (--train-size/--test-size), fewer streams (--batch-size) or a shorter --bptt',
  );
  const count = windows * streams;
  const x = new Float32Array(count * bptt);
  const targets = new Int32Array(count * bptt);
  const labels = new Int32Array(count);
  for (let w = 0; w < windows; w++) {
    for (let s = 0; s < streams; s++) {
      const sample = w * streams + s;
      const start = s * perStream + w * bptt;
      for (let t = 0; t < bptt; t++) {
        x[sample * bptt + t] = tokens[start + t];
        targets[sample * bptt + t] = tokens[start + t + 1];
      }
      labels[sample] = targets[sample * bptt + bptt - 1];
    }
  }
  return makeDataset({
    name,
    x,
    labels,
    targets,
    streams,
    sampleShape: [bptt],
    numClasses: vocabularySize,
  });
}

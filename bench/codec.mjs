#!/usr/bin/env node
// What the codec's exactness checks cost per call: encodeValue (refuses numbers beyond
// ±(2^53−1), lone surrogates, nesting past 512) and decodeValue (refuses stored JSON it cannot
// answer exactly) against the bare JSON.stringify / JSON.parse they wrap, on values of the kinds
// agents store, next to the cost of measuring the text's UTF-8 length, which every write pays.
// Runs on the built code:
//   npm run build && node bench/codec.mjs [--ms 1400]   (time per value and direction)
import { parseArgs } from 'node:util';
import { decodeValue, encodeValue } from '../dist/src/redis/codec.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1400' } } });
const budgetMs = Number(values.ms);

const record = { user_id: 'user456', preferences: { theme: 'dark', language: 'en' }, visits: 42, tags: ['a', 'b', 'c'], active: true };
const samples = {
  'short string': 'hello world',
  'small object (5 members)': record,
  'object, 1 KiB': { items: Array.from({ length: 12 }, (_, i) => ({ ...record, visits: i })) },
  'array of 10,000 numbers': Array.from({ length: 10_000 }, (_, i) => i * 1.5),
  'non-Latin text, 64 KiB': 'данные 数据 '.repeat(4096),
  'string, 1 MiB': 'x'.repeat(1024 * 1024),
  'nested 100 deep': JSON.parse('['.repeat(100) + '1' + ']'.repeat(100)),
};

/** Nanoseconds per call of fn, over about `ms` after a short warm-up. */
function nsPerCall(fn, ms) {
  for (let i = 0; i < 20; i++) fn();
  let calls = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(ms * 1e6));
  let now = started;
  while (now < until) {
    for (let i = 0; i < 10; i++) fn();
    calls += 10;
    now = process.hrtime.bigint();
  }
  return Number(now - started) / calls;
}

/**
 * Both functions measured in turns, seven rounds each, and the medians compared: on a shared
 * machine the load changes from second to second, and turns expose both to the same changes.
 */
function compare(bare, checked) {
  const rounds = 7;
  const times = [[], []];
  for (let round = 0; round < rounds; round++) {
    times[0].push(nsPerCall(bare, budgetMs / rounds / 2));
    times[1].push(nsPerCall(checked, budgetMs / rounds / 2));
  }
  const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  return [median(times[0]), median(times[1])];
}

// The encoding before the checks: the same text, without looking at the value first.
const jsonStart = /^[\s]*[-0-9{["tfn]/;
const bareEncode = (value) => {
  if (typeof value !== 'string') return JSON.stringify(value);
  if (!jsonStart.test(value)) return value;
  try {
    JSON.parse(value);
    return JSON.stringify(value);
  } catch {
    return value;
  }
};
const bareDecode = (text) => {
  if (!jsonStart.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const format = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${Math.round(ns)} ns`);
const rows = [];
for (const [name, value] of Object.entries(samples)) {
  const text = encodeValue(value);
  if (text !== bareEncode(value)) throw new Error(`${name}: the checked encoding differs from the bare one`);
  const encode = compare(
    () => bareEncode(value),
    () => encodeValue(value),
  );
  const decode = compare(
    () => bareDecode(text),
    () => decodeValue(text),
  );
  // What every write of this text pays anyway: its UTF-8 length (the size check, the socket write).
  const [utf8] = compare(
    () => Buffer.byteLength(text),
    () => undefined,
  );
  rows.push({
    value: name,
    'UTF-8 length of the text': format(utf8),
    'encode bare': format(encode[0]),
    'encode checked': format(encode[1]),
    'encode extra': `${format(encode[1] - encode[0])} (${Math.round((encode[1] / encode[0] - 1) * 100)}%)`,
    'decode bare': format(decode[0]),
    'decode checked': format(decode[1]),
    'decode extra': `${format(decode[1] - decode[0])} (${Math.round((decode[1] / decode[0] - 1) * 100)}%)`,
  });
}
console.log(`codec checks, Node ${process.version}: median of 7 turns, ${budgetMs} ms per value and direction`);
console.table(rows);

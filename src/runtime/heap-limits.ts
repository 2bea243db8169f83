import { setFlagsFromString } from 'node:v8';

/** Flags (node's command line or NODE_OPTIONS) with which the user has already chosen these sizes. */
const userChoices = [
  '--max-semi-space-size',
  '--min-semi-space-size',
  '--semi-space-growth-factor',
  '--heap-growing-percent',
  '--max-heap-size',
  '--max-old-space-size',
];

/**
 * Keeps the server's heap small. V8 sizes a heap for throughput: its young generation grows to
 * 2 × 16 MiB under load, and the old generation may double after each full collection, so a
 * server whose live data is some 15 MiB peaks at 130-210 MiB. Two flags, which V8 reads while
 * running (the size flags are fixed when the heap is made, before any code of ours runs):
 * the young generation stays at its initial 2 × 1 MiB, and the old one may grow by half its
 * live size before the next full collection. The price is more frequent collections (a few
 * percent of CPU per call). Flags given to node by the user (command line or NODE_OPTIONS) win.
 * Call before loading anything else: the young generation grows while modules load.
 * test/unit/runtime-heap-limits.test.ts checks, in child processes, that V8 takes the flags.
 */
export function limitHeapGrowth(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((flag) => flag.replace(/_/g, '-'));
  if (given.some((flag) => userChoices.some((choice) => flag.startsWith(choice)))) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=50');
}

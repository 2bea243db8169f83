/**
 * One place where the writes of an event-loop turn happen, in a fixed order.
 *
 * On this kind of machine every write system call costs more than the JavaScript around it,
 * so each output (stdout, a WebSocket, the log) collects what becomes ready during a turn and
 * writes it once, at the end of the turn (one setImmediate for all of them, not one each).
 * Protocol output goes first and log lines last: a client waiting for an answer should not
 * also wait for the log line about it. Nothing waits beyond the current turn.
 * test/unit/runtime-end-of-turn.test.ts checks the order and the one write per turn.
 */
type Flush = () => void;

const outputs: Flush[] = [];
const logs: Flush[] = [];
let scheduled = false;

function runAll(): void {
  scheduled = false;
  // A flush may schedule work for the next turn (e.g. a log line about a write error): take the lists first.
  const outputNow = outputs.splice(0);
  const logsNow = logs.splice(0);
  for (const flush of outputNow) flush();
  for (const flush of logsNow) flush();
}

function schedule(list: Flush[], flush: Flush): void {
  list.push(flush);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runAll);
  }
}

/** Runs `flush` once at the end of this turn, before any log flush. Call it once per turn per output. */
export function flushOutputAtEndOfTurn(flush: Flush): void {
  schedule(outputs, flush);
}

/** Runs `flush` once at the end of this turn, after the protocol output. */
export function flushLogAtEndOfTurn(flush: Flush): void {
  schedule(logs, flush);
}

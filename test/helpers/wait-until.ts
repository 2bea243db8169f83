/** Polls `condition` until it holds; fails naming `what` if it does not within `timeoutMs`. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether any client of this Redis is blocked in a command (CLIENT LIST flag "b"). */
export function someClientBlocked(clientList: unknown): boolean {
  return String(clientList)
    .split('\n')
    .some((line) => /(^| )flags=[A-Za-z]*b/.test(line));
}

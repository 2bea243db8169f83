import type { ChainableCommander } from 'ioredis';

/**
 * Runs a MULTI ... EXEC and answers each command's reply, so a tool can read related facts in
 * one atomic step (whether a key exists beside what a command did to it). A command that failed
 * inside is answered as its error, for the caller to judge; anything else that fails throws.
 */
export async function transaction(multi: ChainableCommander): Promise<(Error | unknown)[]> {
  const replies = await multi.exec();
  // null only when a WATCHed key changed; these transactions watch nothing.
  if (replies === null) throw new Error('Transaction aborted');
  return replies.map(([error, reply]) => error ?? reply);
}

/** The reply as given, or its error thrown. */
export function replyOf<T>(reply: Error | unknown): T {
  if (reply instanceof Error) throw reply;
  return reply as T;
}

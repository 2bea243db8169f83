import type { ReadResourceResult } from '@modelcontextprotocol/server';
import type { ToolRunner } from '../../tools/runner.js';
import type { Caller } from '../../tools/caller-shares.js';
import { parseTaskPageUri } from '../../tasks/page-uri.js';
import { notFound, toProtocolError } from './errors.js';

/**
 * resources/read of a page of a task's result (tasks/tool-tasks.ts stores them): answered to the
 * caller that made the task, while the task's record lives and the export tool is offered; to
 * anyone else, as to a page that does not exist, "not found".
 */
export async function readTaskPage(uri: string, runner: Pick<ToolRunner, 'tasks' | 'enabled'>, caller: Caller): Promise<ReadResourceResult> {
  const address = parseTaskPageUri(uri);
  const store = runner.enabled.has('redis_export_matching') ? runner.tasks?.store : undefined;
  let page: string | undefined;
  try {
    page = address && store ? await store.page(address.taskId, address.index, caller) : undefined;
  } catch (error) {
    throw toProtocolError(error, uri);
  }
  if (page === undefined) throw notFound(uri, 'no such page of a task of this client (pages expire with their task)');
  return { contents: [{ uri, mimeType: 'application/json', text: page }] };
}

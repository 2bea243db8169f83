/**
 * The resource URI of one page of a task's result (store.ts keeps the pages): read with
 * resources/read by the client that made the task, until the task's record expires.
 */
export function taskPageUri(taskId: string, index: number): string {
  return `redis://task/${taskId}/pages/${index}`;
}

// Task ids are UUIDs made here: anything else names no task, and never reaches a key.
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const taskIdPattern = new RegExp(`^${uuid}$`);
// Page numbers count from 0.
const pageUriPattern = new RegExp(`^redis://task/(${uuid})/pages/(0|[1-9]\\d{0,8})$`);

export const isTaskId = (text: string): boolean => taskIdPattern.test(text);

/** The task and page a URI names, or undefined when it names none. */
export function parseTaskPageUri(uri: string): { taskId: string; index: number } | undefined {
  const match = pageUriPattern.exec(uri);
  return match ? { taskId: match[1]!, index: Number(match[2]) } : undefined;
}

/** Whether a URI is of the task-page form at all (well-formed or not). */
export const isTaskPageUri = (uri: string): boolean => uri.startsWith('redis://task/');

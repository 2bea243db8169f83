import { AppError } from '../errors.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * zod leaves out a member named "__proto__" whenever it rebuilds an object (its guard against
 * prototype pollution), without an issue: in the arguments themselves, or in an object argument
 * such as a session's `data`. Values it passes through untouched (any JSON `value`) keep theirs.
 * Rather than drop what the caller sent, the call is refused, naming the member.
 * Returns the error, or undefined when nothing was left out.
 */
export function droppedKeyError(raw: unknown, parsed: Record<string, unknown>): AppError | undefined {
  if (!isPlainObject(raw)) return undefined;
  let field: string | undefined;
  if (Object.hasOwn(raw, '__proto__')) field = '__proto__';
  else {
    for (const name in parsed) {
      const sent = raw[name];
      // Only an object zod rebuilt (a different reference) can have lost a member.
      if (isPlainObject(sent) && sent !== parsed[name] && Object.hasOwn(sent, '__proto__')) {
        field = `${name}.__proto__`;
        break;
      }
    }
  }
  if (field === undefined) return undefined;
  const message = '"__proto__" cannot be used as a field name';
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${field}: ${message}`, { issues: [{ field, message }] });
}

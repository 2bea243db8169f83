import { AppError } from '../errors.js';

/** INVALID_PARAMS for one field, shaped like the runner's schema errors (the message names the field). */
export function invalidField(field: string, message: string): AppError {
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${field}: ${message}`, { issues: [{ field, message }] });
}

/** Refuses two or more of the fields given together, or none when one is required. */
export function exactlyOne(input: object, fields: readonly string[], required: boolean): string | undefined {
  const given = fields.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
  if (given.length > 1) throw invalidField(given[1]!, `cannot be given together with ${given[0]}`);
  if (required && given.length === 0) throw invalidField(fields[0]!, `give one of ${fields.join(', ')}`);
  return given[0];
}

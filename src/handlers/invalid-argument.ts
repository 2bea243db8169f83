import { AppError } from '../errors.js';

/**
 * INVALID_PARAMS for a rule between fields that the schema cannot state (a refinement would
 * keep the generator from splitting the input into REST path, query and body), worded like the
 * runner's own argument errors so that it names the field.
 */
export function invalidArgument(field: string, message: string): AppError {
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${field}: ${message}`, { issues: [{ field, message }] });
}

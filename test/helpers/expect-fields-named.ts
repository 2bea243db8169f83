import { expect } from 'vitest';

/**
 * Checks that an INVALID_PARAMS error names each offending field: the tool's issues (any text
 * can be a field name, ":" included), each quoted in the message, or, for what REST refuses
 * before the tool runs (a malformed body or URL), the one field at fault.
 */
export function expectFieldsNamed(outcome: { message: string; details?: unknown }): void {
  const details = outcome.details as { issues?: { field: string; message: string }[]; field?: string } | undefined;
  if (details?.issues === undefined) {
    expect(typeof details?.field === 'string' && details.field.length > 0, `no field named: ${outcome.message}`).toBe(true);
    return;
  }
  expect(details.issues.length, outcome.message).toBeGreaterThan(0);
  for (const issue of details.issues) {
    // An unknown field REST refuses is named as sent, and "" is a name a client can send.
    if (!/^unknown (body field|query parameter)$/.test(issue.message)) expect(issue.field.length, outcome.message).toBeGreaterThan(0);
    expect(outcome.message).toContain(`${issue.field}: ${issue.message}`);
  }
}

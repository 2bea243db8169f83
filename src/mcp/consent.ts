import { createHash } from 'node:crypto';
import { tools, type ToolName } from '../../generated/registry.js';
import { consentField } from '../../schema/define.js';

/**
 * Consent for destructive bulk operations (tools with `confirms`, e.g. redis_queue_purge): a
 * client that supports elicitation has its user asked by the server, in each protocol era's way
 * (a server-to-client request on 2025-11-25, an input-required result on 2026-07-28); any other
 * caller passes the confirming field itself, or the runner answers CONFIRMATION_REQUIRED.
 */

type Args = Record<string, unknown>;

/** The field by which this call would give consent, when the tool asks for it and the call has not given it. */
export function consentWanted(name: string, args: unknown): string | undefined {
  if (!Object.hasOwn(tools, name)) return undefined;
  return consentField(tools[name as ToolName], args as Args | undefined);
}

/** The elicitation that asks the user: one yes/no field. */
export function consentQuestion(
  name: string,
  args: unknown,
  field: string,
): {
  message: string;
  requestedSchema: { type: 'object'; properties: Record<string, { type: 'boolean'; title: string; description: string }>; required: string[] };
} {
  const { title } = tools[name as ToolName];
  const shown = JSON.stringify(Object.fromEntries(Object.entries((args as Args | undefined) ?? {}).filter(([key]) => key !== field)));
  return {
    message: `${title} (${name}) with ${shown} deletes data that cannot be restored. Go ahead?`,
    requestedSchema: { type: 'object', properties: { [field]: { type: 'boolean', title: 'Go ahead', description: 'Yes: delete it.' } }, required: [field] },
  };
}

/** Whether an elicitation result is the user's yes. */
export function consented(result: { action?: string; content?: Args } | undefined, field: string): boolean {
  return result?.action === 'accept' && result.content?.[field] === true;
}

/** The call's arguments with consent given. */
export function withConsent(args: unknown, field: string): Args {
  return { ...((args as Args | undefined) ?? {}), [field]: true };
}

/** What the consent was given for (the tool and its arguments), to bind the state carried between rounds to it. */
export function consentSubject(name: string, args: unknown, field: string): string {
  const rest = Object.fromEntries(Object.entries((args as Args | undefined) ?? {}).filter(([key]) => key !== field));
  return createHash('sha256')
    .update(JSON.stringify([name, rest]))
    .digest('base64url');
}

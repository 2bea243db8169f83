import { z } from 'zod';
import { adds, defineTool, overwrites, reads, writes } from './define.js';
import { exactJsonRule, sessionData, sessionId, ttlSeconds } from './fields.js';

const session = z.strictObject({
  session_id: z.string().describe('The session id.'),
  data: z.record(z.string(), z.unknown()).describe('The whole session data after the call.'),
  ttl: z.number().int().nullable().describe('Seconds until the session expires.'),
  created_at: z.string().describe('When the session was created (ISO 8601).'),
  updated_at: z.string().describe('When the session was last written (ISO 8601).'),
  version: z.number().int().describe('1 when created, one more with every update; pass it as expected_version to update only that version.'),
});

export const redis_session_create = defineTool({
  name: 'redis_session_create',
  toolset: 'seed',
  title: 'Create session',
  description:
    'Create a session for agent state under mcp_session:{id}, with initial data and a time to live. ' +
    'The id is generated when omitted; creating an id that exists fails with SESSION_EXISTS.',
  input: () => z.strictObject({
    session_id: sessionId.optional().describe('The session id; generated ("sess_" + 32 hex digits) when omitted.'),
    data: sessionData.default({}).describe(`Initial session data (an object; field names are any well-formed text but "__proto__"). Values: ${exactJsonRule}`),
    ttl: ttlSeconds.default(3600).describe('Session time to live in seconds.'),
  }),
  output: () => session,
  annotations: adds,
  rest: { method: 'POST', path: '/v1/sessions' },
  errors: ['SESSION_EXISTS', 'VALUE_TOO_LARGE'],
  example: {
    data: { user_id: 'agent123', conversation_id: 'conv456', context: { current_task: 'analyze_code' } },
    ttl: 7200,
  },
});

export const redis_session_get = defineTool({
  name: 'redis_session_get',
  toolset: 'seed',
  title: 'Get session',
  description: 'Get a session\'s data, remaining time to live and timestamps. A key changed outside the session tools so that it holds no valid session is SESSION_NOT_FOUND, with the reason.',
  input: () => z.strictObject({ session_id: sessionId }),
  output: () => session,
  annotations: reads,
  rest: { method: 'GET', path: '/v1/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND', 'WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { session_id: 'sess_abc123' },
});

export const redis_session_update = defineTool({
  name: 'redis_session_update',
  toolset: 'seed',
  title: 'Update session',
  description:
    'Merge data into a session: each top-level field given replaces that field, and fields not given are kept. ' +
    'Updates of different fields by concurrent agents never overwrite each other. ' +
    'With expected_version the update applies only to that version (else CONFLICT with the current version).',
  input: () => z.strictObject({
    session_id: sessionId,
    data: sessionData.describe(`Fields to set; other fields are kept. Field names are any well-formed text but "__proto__". Values: ${exactJsonRule}`),
    extend_ttl: z.boolean().default(true).describe('Restart the session\'s time to live from now.'),
    expected_version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Update only if the session is at this version (from an earlier read); otherwise fail with CONFLICT.'),
  }),
  output: () => session,
  annotations: writes,
  rest: { method: 'PATCH', path: '/v1/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND', 'WRONG_TYPE', 'VALUE_TOO_LARGE', 'VALUE_UNDECODABLE', 'CONFLICT'],
  example: { session_id: 'sess_abc123', data: { current_task: 'generate_tests', progress: 0.5 } },
});

export const redis_session_delete = defineTool({
  name: 'redis_session_delete',
  toolset: 'seed',
  title: 'Delete session',
  description: 'Delete a session and all its data.',
  input: () => z.strictObject({ session_id: sessionId }),
  output: () => z.strictObject({
    session_id: z.string().describe('The session id.'),
    deleted: z.literal(true).describe('Always true: the session existed and is gone.'),
  }),
  annotations: overwrites,
  rest: { method: 'DELETE', path: '/v1/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND'],
  example: { session_id: 'sess_abc123' },
});

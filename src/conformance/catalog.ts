import type { FixtureTool, FixtureToolResult } from './types.js';

/**
 * The fixtures the conformance suite asks for by name, the same in both protocol eras: tools that
 * need nothing from the client, static resources, a resource template, prompts and their
 * completions. What needs the client's help (sampling, elicitation) is each era's own.
 */

/** A 1x1 PNG, one green pixel. */
const pixelPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNQ6lYCAAGiANAIO/QDAAAAAElFTkSuQmCC';

/** A tenth of a second of silence as a WAV file (8 kHz, mono, 16-bit PCM), built rather than pasted so its header is plainly right. */
function silentWav(): string {
  const sampleRate = 8000;
  const dataBytes = (sampleRate / 10) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // channels
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  return wav.toString('base64');
}

const silenceWav = silentWav();

const noInput = { type: 'object' as const, properties: {} };

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const text = (value: string) => ({ type: 'text', text: value });
const pngImage = () => ({ type: 'image', data: pixelPng, mimeType: 'image/png' });
const result = (...content: Array<Record<string, unknown>>): FixtureToolResult => ({ content });

/**
 * An input schema using JSON Schema 2020-12 beyond properties/required ($schema, $defs with an
 * $anchor, $ref, allOf/anyOf, if/then/else, additionalProperties): listings must carry it whole.
 */
const contactSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object' as const,
  $defs: {
    address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

export const fixtureTools: FixtureTool[] = [
  {
    name: 'test_simple_text',
    description: 'Answers with one text block.',
    inputSchema: noInput,
    run: async () => result(text('Plain text from the test_simple_text fixture.')),
  },
  {
    name: 'test_image_content',
    description: 'Answers with one PNG image block.',
    inputSchema: noInput,
    run: async () => result(pngImage()),
  },
  {
    name: 'test_audio_content',
    description: 'Answers with one WAV audio block.',
    inputSchema: noInput,
    run: async () => result({ type: 'audio', data: silenceWav, mimeType: 'audio/wav' }),
  },
  {
    name: 'test_embedded_resource',
    description: 'Answers with one embedded text resource.',
    inputSchema: noInput,
    run: async () => result({ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'Text of an embedded resource.' } }),
  },
  {
    name: 'test_multiple_content_types',
    description: 'Answers with a text block, an image block and an embedded JSON resource.',
    inputSchema: noInput,
    run: async () =>
      result(text('Three kinds of content follow this line:'), pngImage(), {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ fixture: 'mixed', count: 3 }) },
      }),
  },
  {
    name: 'test_tool_with_logging',
    description: 'Logs three info messages while it runs, 50 ms apart.',
    inputSchema: noInput,
    run: async (_args, io) => {
      await io.log('info', 'Logging fixture started');
      await pause(50);
      await io.log('info', 'Logging fixture halfway');
      await pause(50);
      await io.log('info', 'Logging fixture finished');
      return result(text('Logged three messages.'));
    },
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50 and 100 of 100, 50 ms apart (when the call carries a progress token).',
    inputSchema: noInput,
    run: async (_args, io) => {
      for (const done of [0, 50, 100]) {
        if (done > 0) await pause(50);
        await io.progress(done, 100, `${done}% done`);
      }
      return result(text('Progress reported to 100 of 100.'));
    },
  },
  {
    name: 'test_error_handling',
    description: 'Always fails, as a tool result with isError set.',
    inputSchema: noInput,
    run: async () => ({ isError: true, content: [text('The test_error_handling fixture always fails.')] }),
  },
  {
    name: 'test_custom_header',
    description: 'Takes a region that clients also send in the Mcp-Param-Region header (SEP-2243), and says which.',
    inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] },
    run: async (args) => result(text(`Region: ${String(args.region)}`)),
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Takes a contact (phone or email) described in JSON Schema 2020-12, and says what it got.',
    inputSchema: contactSchema,
    run: async (args) => result(text(`Contact received: ${JSON.stringify(args)}`)),
  },
];

export const fixtureResources: Array<{ uri: string; name: string; title?: string; description?: string; mimeType: string }> = [
  { uri: 'test://static-text', name: 'static-text', title: 'Static text', description: 'A text resource that never changes.', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', title: 'Static binary', description: 'A PNG image, read as a base64 blob.', mimeType: 'image/png' },
  {
    uri: 'test://watched-resource',
    name: 'watched-resource',
    title: 'Watched resource',
    description: 'A text resource clients may subscribe to.',
    mimeType: 'text/plain',
  },
];

export const fixtureResourceTemplates: Array<{ uriTemplate: string; name: string; description?: string; mimeType: string }> = [
  { uriTemplate: 'test://template/{id}/data', name: 'template-data', description: 'JSON data for the id in the URI.', mimeType: 'application/json' },
];

const templatedUri = /^test:\/\/template\/([^/]+)\/data$/;

const staticContents: Record<string, Record<string, unknown>> = {
  'test://static-text': { mimeType: 'text/plain', text: 'Text of the static-text fixture resource.' },
  'test://static-binary': { mimeType: 'image/png', blob: pixelPng },
  'test://watched-resource': { mimeType: 'text/plain', text: 'Text of the watched fixture resource.' },
};

/** A URI segment with its escapes undone, or as written when they are malformed. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The contents of a fixture resource (a static one, or one the template names), or undefined for any other URI. */
export function readFixtureResource(uri: string): { contents: Array<Record<string, unknown>> } | undefined {
  const fixed = Object.hasOwn(staticContents, uri) ? staticContents[uri] : undefined;
  if (fixed) return { contents: [{ uri, ...fixed }] };
  const match = templatedUri.exec(uri);
  if (!match) return undefined;
  const id = decoded(match[1]!);
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, fromTemplate: true, data: `Data for id ${id}` }) }] };
}

export const fixturePrompts: Array<{
  name: string;
  title?: string;
  description?: string;
  arguments?: Array<{ name: string; description?: string; required?: boolean }>;
}> = [
  { name: 'test_simple_prompt', title: 'Simple prompt', description: 'One user message, no arguments.' },
  {
    name: 'test_prompt_with_arguments',
    title: 'Prompt with arguments',
    description: 'One user message quoting both arguments.',
    arguments: [
      { name: 'arg1', description: 'The first value to quote', required: true },
      { name: 'arg2', description: 'The second value to quote', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt with an embedded resource',
    description: 'An embedded text resource at the given URI, then a user message about it.',
    arguments: [{ name: 'resourceUri', description: 'The URI the embedded resource is given', required: true }],
  },
  { name: 'test_prompt_with_image', title: 'Prompt with an image', description: 'A PNG image, then a user message about it.' },
];

const userSays = (content: Record<string, unknown>) => ({ role: 'user', content });

/** Renders a fixture prompt; undefined when `name` is not one. Throws when a required argument is missing. */
export function getFixturePrompt(
  name: string,
  args: Record<string, string> | undefined,
): { description?: string; messages: Array<Record<string, unknown>> } | undefined {
  const prompt = fixturePrompts.find((candidate) => candidate.name === name);
  if (!prompt) return undefined;
  const given = args ?? {};
  for (const argument of prompt.arguments ?? []) {
    if (argument.required && typeof given[argument.name] !== 'string') throw new Error(`Prompt ${name} needs the argument ${argument.name}.`);
  }
  const description = prompt.description;
  switch (name) {
    case 'test_simple_prompt':
      return { description, messages: [userSays(text('A simple prompt from the conformance fixtures.'))] };
    case 'test_prompt_with_arguments':
      return { description, messages: [userSays(text(`The arguments were arg1='${given.arg1}' and arg2='${given.arg2}'.`))] };
    case 'test_prompt_with_embedded_resource':
      return {
        description,
        messages: [
          userSays({ type: 'resource', resource: { uri: given.resourceUri, mimeType: 'text/plain', text: 'Text embedded in the prompt.' } }),
          userSays(text('Summarise the resource above.')),
        ],
      };
    case 'test_prompt_with_image':
      return { description, messages: [userSays(pngImage()), userSays(text('Describe the image above.'))] };
  }
  return undefined;
}

/** Suggestions per completable fixture argument, offered when they start with what was typed. */
const suggestions: Record<string, Record<string, string[]>> = {
  'ref/prompt:test_prompt_with_arguments': { arg1: ['alpha', 'apple', 'test', 'testing'], arg2: ['beta', 'banana', 'test', 'tested'] },
  'ref/prompt:test_prompt_with_embedded_resource': { resourceUri: ['test://static-text', 'test://static-binary', 'test://watched-resource'] },
  'ref/resource:test://template/{id}/data': { id: ['1', '42', '123', '2024'] },
};

/** Completions for a fixture prompt's or template's argument ([] when none fit), or undefined when `ref` is not a fixture. */
export function completeFixture(ref: { type: string; name?: string; uri?: string }, argument: { name: string; value: string }): string[] | undefined {
  const key = `${ref.type}:${ref.type === 'ref/resource' ? ref.uri : ref.name}`;
  const byArgument = Object.hasOwn(suggestions, key) ? suggestions[key] : undefined;
  if (!byArgument) return undefined;
  const candidates = Object.hasOwn(byArgument, argument.name) ? byArgument[argument.name]! : [];
  return candidates.filter((candidate) => candidate.startsWith(argument.value));
}

import { readFileSync } from 'node:fs';

// package.json sits two levels above both src/ and dist/src/.
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const version = manifest.version;
/** The name the spec gives this server in health and metrics. */
export const serverName = 'redis';

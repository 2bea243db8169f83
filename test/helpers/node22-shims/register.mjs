// Preloaded (node --import) into tools that need Node 22 built-ins on Node 20: routes their `fs` imports to fs-with-glob.mjs.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

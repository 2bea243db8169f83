// node:fs with Node 22's globSync for Node 20 (Node 22 has it built in, and then this one is not used).
import fs from 'node:fs';
import path from 'node:path';

export * from 'node:fs';
export default fs;

/** Glob patterns of `*`, `?` and `**` segments as a regular expression over '/'-separated relative paths. */
function patternRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function globSync(patterns, options = {}) {
  if (fs.globSync) return fs.globSync(patterns, options);
  const cwd = options.cwd ? String(options.cwd) : process.cwd();
  const matchers = (Array.isArray(patterns) ? patterns : [patterns]).map(patternRegExp);
  const found = [];
  const walk = (relative) => {
    for (const entry of fs.readdirSync(path.join(cwd, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (matchers.some((matcher) => matcher.test(name))) found.push(name);
      if (entry.isDirectory()) walk(name);
    }
  };
  walk('');
  return found;
}

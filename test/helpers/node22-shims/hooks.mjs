// Module hook: `fs` / `node:fs` imported anywhere but the shim itself resolve to the shim, which adds fs.globSync.
const shim = new URL('./fs-with-glob.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL !== shim) return { url: shim, shortCircuit: true };
  return next(specifier, context);
}

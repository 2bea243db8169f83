/**
 * The parts of prom-client the metrics use, loaded lazily through this ES module of ours (see
 * Metrics.prometheus). prom-client is CommonJS: imported directly with import(), the CLI bundle
 * makes it a chunk whose only export is `default` (the whole module.exports), so
 * `const { Registry } = await import('prom-client')` reads undefined there, although it works
 * unbundled. A static import of it from an ES module is converted properly; the bundle build
 * (scripts/bundle-cli.mjs) refuses a lazy import of a CommonJS module anywhere.
 */
export { Counter, Gauge, Registry } from 'prom-client';

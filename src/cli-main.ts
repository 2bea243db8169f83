/** The command line: flags, then the server (see cli.ts for what happens first). */
import { parseArgs } from 'node:util';
import { ConfigError, helpText, optionSpecs, resolveConfig, type FlagValue } from './config.js';
import { version } from './version.js';

function parseFlags(): Record<string, FlagValue> | 'help' | 'version' {
  // Boolean options are bare flags; list options may be repeated (--auth-token a --auth-token b).
  const options = Object.fromEntries(
    optionSpecs.map((spec) => [
      spec.flag,
      spec.kind === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: spec.kind === 'list' },
    ]),
  );
  const { values } = parseArgs({
    options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  return values as Record<string, FlagValue>;
}

async function main(): Promise<void> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags();
  } catch (error) {
    process.stderr.write(`redis-mcp-server: ${(error as Error).message}\nRun with --help to see the options.\n`);
    process.exit(2);
  }
  if (flags === 'help') return void process.stdout.write(helpText());
  if (flags === 'version') return void process.stdout.write(`${version}\n`);

  const config = resolveConfig(flags);
  // Loaded only now: --help, --version and bad flags answer without loading the server and its dependencies.
  const { RedisMCPServer } = await import('./server.js');
  const server = new RedisMCPServer({}, config);
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ reason }, 'shutting down');
    await server.stop();
    process.exit(0);
  };
  // A second signal while stopping means "now": exit at once (the exit hooks still release a private redis-server).
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) return void shutdown(signal);
    server.log.warn({ signal }, 'second signal while stopping; exiting now');
    process.exit(1);
  };
  // SIGHUP too: a closed terminal must not kill us without stopping what we started.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
  await server.start();
  await server.closed;
  await shutdown('transport closed');
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`redis-mcp-server: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});

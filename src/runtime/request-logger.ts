import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Args = Parameters<Logger['info']>;

/**
 * A request's logger (Fastify makes one per request, holding its reqId), made into a pino child
 * only when something logs through it. Making the child costs more than a microsecond and a
 * few hundred bytes per request (the redaction code runs over its bindings), while most
 * requests log nothing but their completion line, which is written directly (see app.ts and
 * log-lines.ts). Levels are read from the parent until the child exists.
 * test/unit/runtime-request-logger.test.ts holds it to the pino child it stands for.
 */
export class RequestLogger {
  private made?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly bindingsOf: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindingsOf, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  get levelVal(): number {
    return this.made?.levelVal ?? (this.options.level === undefined ? this.parent.levelVal : this.logger.levelVal);
  }

  isLevelEnabled(level: Level): boolean {
    return this.made
      ? this.made.isLevelEnabled(level)
      : this.options.level === undefined
        ? this.parent.isLevelEnabled(level)
        : this.logger.isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.logger.bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: Args): void {
    this.logger.fatal(...args);
  }

  error(...args: Args): void {
    this.logger.error(...args);
  }

  warn(...args: Args): void {
    this.logger.warn(...args);
  }

  info(...args: Args): void {
    this.logger.info(...args);
  }

  debug(...args: Args): void {
    this.logger.debug(...args);
  }

  trace(...args: Args): void {
    this.logger.trace(...args);
  }

  silent(): void {}
}

/**
 * The agent's own log. It writes to stderr with a `[ck-agent]` prefix so the app's stdout stays
 * the app's. `once(kind, ...)` exists because an agent sitting in a hot path must not flood the
 * log: a broken filter or a junk header seen a million times is worth one line, not a million.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const LEVEL_RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Upper bound on remembered `once` kinds, so unbounded kinds cannot grow memory. */
const MAX_ONCE_KINDS = 1000;

export interface LogSink {
  (level: LogLevel, message: string): void;
}

const stderrSink: LogSink = (level, message) => {
  try {
    process.stderr.write(`[ck-agent] ${level}: ${message}\n`);
  } catch {
    // A closed stderr must never take the app down.
  }
};

export class Logger {
  private rank: number;
  private readonly seen = new Set<string>();

  constructor(
    level: LogLevel = 'warn',
    private sink: LogSink = stderrSink
  ) {
    this.rank = LEVEL_RANK[level] ?? LEVEL_RANK.warn;
  }

  setLevel(level: LogLevel): void {
    this.rank = LEVEL_RANK[level] ?? LEVEL_RANK.warn;
  }

  /** Replaces where lines go (tests capture them; the app may route them to its own logger). */
  setSink(sink: LogSink): void {
    this.sink = sink;
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] <= this.rank;
  }

  error(message: string): void {
    this.write('error', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }

  /**
   * An `info` line written whatever the level: for the one startup line, which has its own
   * switch (`log_startup`) and must be seen at the default level (`warn`).
   */
  notice(message: string): void {
    this.sink('info', message);
  }

  /** Logs `message` the first time `kind` is seen; later calls with the same kind are silent. */
  once(level: LogLevel, kind: string, message: string): void {
    if (this.seen.has(kind)) return;
    if (this.seen.size < MAX_ONCE_KINDS) this.seen.add(kind);
    this.write(level, message);
  }

  private write(level: LogLevel, message: string): void {
    if (LEVEL_RANK[level] > this.rank) return;
    this.sink(level, message);
  }
}

/**
 * The process-wide agent logger. Its level is set from config at init(); before that it logs
 * warnings and errors, so config problems found while resolving config are still seen.
 */
export const logger = new Logger(
  ((process.env.CK_LOG_LEVEL || process.env.OTEL_LOG_LEVEL || 'warn').toLowerCase() as LogLevel) in LEVEL_RANK
    ? ((process.env.CK_LOG_LEVEL || process.env.OTEL_LOG_LEVEL || 'warn').toLowerCase() as LogLevel)
    : 'warn'
);

/** Runs `fn`, logging (once per kind) instead of throwing: every hook into app code goes through this. */
export function safely<T>(kind: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    logger.once('warn', `hook-error:${kind}`, `${kind} failed and was skipped: ${describeError(err)}`);
    return undefined;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

/**
 * One logger shape inside kafka-csfle ({@link CsfleLogger}: `warn` / `info` / `debug` with a
 * message and a context object) and the adapters that accept what applications already have:
 *
 * | given | detected by | called as |
 * |---|---|---|
 * | pino (or bunyan-like) | `child()` and `bindings()` methods | `logger.warn(context, message)` |
 * | winston | `log()`, `add()` and a `transports` property | `logger.warn(message, context)` |
 * | kafkajs `logCreator` | a function | `logCreator(DEBUG)({ namespace, level, label, log: { message, timestamp, ...context } })` |
 * | console, kafkajs `kafka.logger()`, anything with `warn(message, context)` | a `warn` method | `logger.warn(message, context)` (`info` / `debug` when present) |
 *
 * Contexts carry names, versions, codes and counts only — never a field value or key material.
 *
 * @packageDocumentation
 */

/** Non-secret context of a log line (KEK, subject, DEK version, code...). */
export type LogContext = Record<string, unknown>;

/** The logger kafka-csfle calls. Every level is present (a level the sink lacks is a no-op). */
export interface CsfleLogger {
  warn(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  debug(message: string, context?: LogContext): void;
}

/** A logger taking `(message, context)`: console, kafkajs `kafka.logger()`, or your own. */
export interface MessageFirstLogger {
  warn(message: string, context?: LogContext): void;
  info?(message: string, context?: LogContext): void;
  debug?(message: string, context?: LogContext): void;
}

/** kafkajs log levels (`logLevel` enum values). */
export const KAFKAJS_LOG_LEVEL = { ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;

/** The kafkajs `logCreator` shape: `(logLevel) => (entry) => void`. */
export type KafkajsLogCreator = (logLevel: number) => (entry: {
  namespace: string;
  level: number;
  label: string;
  log: { timestamp: string; message: string; [key: string]: unknown };
}) => void;

/**
 * Anything the `logger` option accepts. pino and winston loggers fit `MessageFirstLogger` as
 * typed (their level methods also take a message first); at run time pino is called
 * `(context, message)` and winston `(message, context)`.
 */
export type LoggerOption = MessageFirstLogger | KafkajsLogCreator;

/** Which adapter {@link toCsfleLogger} picked (or is told to use). */
export type LoggerKind = 'pino' | 'winston' | 'kafkajs' | 'console';

type Level = 'warn' | 'info' | 'debug';
const LEVELS: readonly Level[] = ['warn', 'info', 'debug'];

/** A logger that drops everything. */
export const SILENT_LOGGER: CsfleLogger = Object.freeze({ warn() {}, info() {}, debug() {} });

function isPino(o: Record<string, unknown>): boolean {
  return typeof o['child'] === 'function' && typeof o['bindings'] === 'function';
}

function isWinston(o: Record<string, unknown>): boolean {
  return typeof o['log'] === 'function' && typeof o['add'] === 'function' && 'transports' in o;
}

/** The adapter {@link toCsfleLogger} uses for `logger`. */
export function loggerKind(logger: LoggerOption): LoggerKind {
  if (typeof logger === 'function') return 'kafkajs';
  const o = logger as unknown as Record<string, unknown>;
  if (isPino(o)) return 'pino';
  if (isWinston(o)) return 'winston';
  return 'console';
}

function call(fn: unknown, self: unknown, args: unknown[]): void {
  if (typeof fn !== 'function') return;
  try {
    fn.apply(self, args);
  } catch {
    // A failing log sink must never fail a record.
  }
}

/**
 * Wraps any accepted logger shape into a {@link CsfleLogger}. `kind` forces an adapter (for
 * loggers detection gets wrong). The global `console` gets `warn` and `info` only (its `debug`
 * cannot be filtered); pino, winston and kafkajs filter by their own level.
 */
export function toCsfleLogger(logger: LoggerOption | undefined, kind?: LoggerKind): CsfleLogger {
  if (logger === undefined || logger === null) return SILENT_LOGGER;
  const k = kind ?? loggerKind(logger);
  if (k === 'kafkajs') {
    const log = (logger as KafkajsLogCreator)(KAFKAJS_LOG_LEVEL.DEBUG);
    const at = (level: Level, n: number) => (message: string, context?: LogContext) =>
      call(log, undefined, [{ namespace: 'kafka-csfle', level: n, label: level.toUpperCase(), log: { ...context, timestamp: new Date().toISOString(), message } }]);
    return { warn: at('warn', KAFKAJS_LOG_LEVEL.WARN), info: at('info', KAFKAJS_LOG_LEVEL.INFO), debug: at('debug', KAFKAJS_LOG_LEVEL.DEBUG) };
  }
  const o = logger as unknown as Record<Level, unknown>;
  const out = {} as CsfleLogger;
  for (const level of LEVELS) {
    const fn = o[level];
    if (typeof fn !== 'function' || (level === 'debug' && (logger as unknown) === globalThis.console)) {
      out[level] = () => {};
    } else if (k === 'pino') {
      out[level] = (message, context) => call(fn, logger, [context ?? {}, message]);
    } else {
      out[level] = (message, context) => call(fn, logger, context === undefined ? [message] : [message, context]);
    }
  }
  return out;
}

/**
 * The logger option accepts the common shapes — pino and winston (the real libraries), console,
 * a kafkajs logCreator — and calls each the way it expects, at warn / info / debug.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import { KAFKAJS_LOG_LEVEL, loggerKind, toCsfleLogger, type KafkajsLogCreator } from '../../src/index';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger adapters', () => {
  it('pino: warn(obj, msg), filtered by its own level', () => {
    const { stream, lines } = sink();
    const logger = pino({ level: 'info' }, stream);
    expect(loggerKind(logger)).toBe('pino');
    const l = toCsfleLogger(logger);
    l.warn('Could not refresh the latest DEK', { kekName: 'k1', dekVersion: 2 });
    l.info('DEK created', { kekName: 'k1', subject: 's-value', dekVersion: 3 });
    l.debug('DEK unwrapped', { kekName: 'k1' });
    const out = lines();
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ level: 40, msg: 'Could not refresh the latest DEK', kekName: 'k1', dekVersion: 2 });
    expect(out[1]).toMatchObject({ level: 30, msg: 'DEK created', subject: 's-value', dekVersion: 3 });
  });

  it('winston: message and meta, filtered by its own level', () => {
    const { stream, lines } = sink();
    const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    expect(loggerKind(logger)).toBe('winston');
    const l = toCsfleLogger(logger);
    l.warn('KMS refused to unwrap the DEK', { kekName: 'k1', code: 'KMS_ACCESS_DENIED', message: 'not the message' });
    l.debug('DEK unwrapped', { kekName: 'k1', dekVersion: 1 });
    const out = lines();
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ level: 'warn', kekName: 'k1', code: 'KMS_ACCESS_DENIED' });
    expect(String(out[0]!['message'])).toContain('KMS refused to unwrap the DEK');
    expect(out[1]).toMatchObject({ level: 'debug', message: 'DEK unwrapped', dekVersion: 1 });
  });

  it('a kafkajs logCreator: entries with namespace, level and label', () => {
    const entries: Parameters<ReturnType<KafkajsLogCreator>>[0][] = [];
    const creator: KafkajsLogCreator = (level) => {
      expect(level).toBe(KAFKAJS_LOG_LEVEL.DEBUG);
      return (entry) => entries.push(entry);
    };
    expect(loggerKind(creator)).toBe('kafkajs');
    const l = toCsfleLogger(creator);
    l.warn('w', { kekName: 'k' });
    l.info('i');
    l.debug('d');
    expect(entries.map((e) => [e.namespace, e.level, e.label, e.log.message])).toEqual([
      ['kafka-csfle', 2, 'WARN', 'w'],
      ['kafka-csfle', 4, 'INFO', 'i'],
      ['kafka-csfle', 5, 'DEBUG', 'd'],
    ]);
    expect(entries[0]!.log).toMatchObject({ kekName: 'k' });
    expect(typeof entries[0]!.log.timestamp).toBe('string');
  });

  it('console: warn and info (message, context); debug is dropped for the global console', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      const l = toCsfleLogger(console);
      expect(loggerKind(console)).toBe('console');
      l.warn('w', { a: 1 });
      l.info('i');
      l.debug('d');
      expect(warn).toHaveBeenCalledWith('w', { a: 1 });
      expect(info).toHaveBeenCalledWith('i');
      expect(debug).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      info.mockRestore();
      debug.mockRestore();
    }
  });

  it('a warn-only logger gets no-op info/debug; a throwing logger never throws into the caller', () => {
    const seen: string[] = [];
    const l = toCsfleLogger({ warn: (m: string) => seen.push(m) });
    l.info('x');
    l.debug('y');
    l.warn('z');
    expect(seen).toEqual(['z']);
    const bad = toCsfleLogger({
      warn: () => {
        throw new Error('sink down');
      },
    });
    expect(() => bad.warn('x')).not.toThrow();
  });
});

/**
 * Argument parsers and helpers shared by the command modules. Parsers throw commander's
 * `InvalidArgumentError`, which the program reports as a usage error (exit 2).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { DekAlgorithm } from '../index';

/** A usage error found after parsing (missing argument, conflicting flags): exit 2. */
export class UsageError extends Error {}

/** The DEK algorithms accepted by `--algorithm`. */
export const ALGORITHM_CHOICES: readonly DekAlgorithm[] = ['AES128_GCM', 'AES256_GCM', 'AES256_SIV'];

/** Parses a non-negative integer option value. */
export function intArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

/** Parses `N` or `latest`. */
export function versionArg(value: string): number | 'latest' {
  return value === 'latest' ? 'latest' : intArg(value);
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Collects repeatable `KEY=VALUE` options into a record. */
export function keyValue(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('expects KEY=VALUE.');
  return { ...(previous ?? {}), [value.slice(0, i)]: value.slice(i + 1) };
}

/** Reads a text file named by an option. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} file ${file}`);
  }
}

/** Reads a JSON file named by an option. */
export function readJson<T>(file: string, what: string): T {
  const text = readText(file, what);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError(`${what} file ${file} is not valid JSON`);
  }
}

/** A copy of a DEK record safe to print: raw key material is never shown. */
export function redacted<T extends { keyMaterial?: string }>(dek: T): T {
  const shown = { ...dek };
  if (shown.keyMaterial !== undefined) shown.keyMaterial = '[redacted]';
  return shown;
}

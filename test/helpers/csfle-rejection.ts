/** Assertion helper: a promise that must reject with a typed {@link CsfleError}. */
import { expect } from 'vitest';
import { CsfleError } from '../../src/index';

/** Awaits `p`, expects it to reject with a {@link CsfleError}, and returns that error. */
export async function csfleRejection(p: Promise<unknown>): Promise<CsfleError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CsfleError);
  return err as CsfleError;
}

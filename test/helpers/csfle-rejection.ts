/** Assertion helper: a promise that must reject with a typed {@link CsfleError}. */
import { inspect } from 'node:util';
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

/**
 * Like {@link csfleRejection}, and also expects none of `secrets` in the error's message,
 * context or inspected form (plaintexts and KMS secrets must never leak into errors).
 */
export async function csfleRejectionWithout(p: Promise<unknown>, secrets: readonly string[]): Promise<CsfleError> {
  const e = await csfleRejection(p);
  const everything = `${e.message} ${JSON.stringify(e.context)} ${inspect(e, { depth: 5 })}`;
  for (const secret of secrets) expect(everything).not.toContain(secret);
  return e;
}

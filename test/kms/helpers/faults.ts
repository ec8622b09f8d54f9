/** Helpers of the KMS drivers' fault tests: the typed error a call rejects with, a server that never answers. */
import net from 'node:net';
import { expect } from 'vitest';
import { KmsError } from '../../../src/errors';

/** Awaits a call expected to fail and returns its {@link KmsError} (fails the test otherwise). */
export async function failure(p: Promise<unknown>): Promise<KmsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KmsError);
  return err as KmsError;
}

/** Runs `fn` with the port of a local TCP server that accepts connections and never answers. */
export async function withSilentServer(fn: (port: number) => Promise<void>): Promise<void> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn((server.address() as net.AddressInfo).port);
  } finally {
    sockets.forEach((s) => s.destroy());
    server.close();
  }
}

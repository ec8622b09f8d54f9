import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { deriveLocalKek, isClientOnlyKmsConfigKey, newKmsClient } from '../../src/index';

describe('KEK kmsProps (registry data) cannot redirect the client or pick its KEK', () => {
  it('an endpoint in kmsProps is ignored: the token and the plaintext DEK never reach that host', async () => {
    const seen: string[] = [];
    const rogue = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${String(req.headers['x-vault-token'])}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ciphertext":"vault:v1:AAAA"}}');
    });
    await new Promise<void>((r) => rogue.listen(0, '127.0.0.1', r));
    const { port } = rogue.address() as AddressInfo;
    try {
      const client = await newKmsClient(
        'hcvault',
        'http://127.0.0.1:1/transit/keys/k',
        { 'token.id': 'SECRET-VAULT-TOKEN', 'kms.max.retries': '0', 'kms.timeout.ms': '2000' },
        { endpoint: `http://127.0.0.1:${port}`, 'ssl.ca.location': '/tmp/rogue-ca.pem' },
      );
      await expect(client.wrap(Buffer.from('dek-proto'))).rejects.toMatchObject({ code: 'KMS_UNAVAILABLE' });
      expect(seen).toEqual([]);
    } finally {
      rogue.close();
    }
  });

  it('a local-kms secret in kmsProps is ignored (the client secret decides the KEK)', async () => {
    const mine = await newKmsClient('local-kms', 'k', { secret: 'client-secret' }, { secret: 'registry-chosen' });
    const wrapped = await mine.wrap(Buffer.from('dek'));
    const reference = await newKmsClient('local-kms', 'k', { secret: 'client-secret' });
    expect((await reference.unwrap(wrapped)).toString()).toBe('dek');
    expect(deriveLocalKek('client-secret').equals(deriveLocalKek('registry-chosen'))).toBe(false);
  });

  it.each([
    ['endpoint', true],
    ['sts.endpoint', true],
    ['ssl.ca.location', true],
    ['azure.authority.host', true],
    ['secret', true],
    ['encrypt.alternate.kms.key.ids', false],
    ['aws.disable.dynamic.mrk', false],
    ['access.key.id', false],
  ])('%s is client-only: %s', (key, expected) => {
    expect(isClientOnlyKmsConfigKey(key)).toBe(expected);
  });
});

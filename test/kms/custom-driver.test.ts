/**
 * A user-defined KMS driver registered through the public API (the example in docs/kms.md),
 * used by the serde; and a built-in driver decorated through the same call.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  KmsError,
  getKmsDriver,
  registerKmsDriver,
  unregisterKmsDriver,
  type KmsClient,
  type KmsDriver,
} from '../../src/index';

// --- the docs/kms.md example -------------------------------------------------------------
/** A toy KMS: AES-256-GCM under a key derived from `acme.master.key` (for illustration only). */
const acmeKmsDriver: KmsDriver = {
  kmsType: 'acme-kms',
  newClient({ kmsKeyId, config }): KmsClient {
    const master = config['acme.master.key'];
    if (typeof master !== 'string') {
      throw new KmsError('KMS_CONFIG_INVALID', "acme-kms needs 'acme.master.key'", { kmsType: 'acme-kms', kmsKeyId });
    }
    const key = createHash('sha256').update(`${master}/${kmsKeyId}`).digest();
    return {
      keyUrl: `acme-kms://${kmsKeyId}`,
      async wrap(plaintext) {
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key, iv);
        return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
      },
      async unwrap(ciphertext) {
        const d = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, 12));
        d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        try {
          return Buffer.concat([d.update(ciphertext.subarray(12, ciphertext.length - 16)), d.final()]);
        } catch {
          throw new KmsError('KMS_ERROR', 'acme-kms could not unwrap the DEK', { kmsType: 'acme-kms', kmsKeyId });
        }
      },
    };
  },
};
registerKmsDriver(acmeKmsDriver);
// ------------------------------------------------------------------------------------------

const schema = {
  type: 'record',
  name: 'User',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
  ],
};
const ruleSet = {
  domainRules: [
    {
      name: 'pii',
      kind: 'TRANSFORM' as const,
      mode: 'WRITEREAD' as const,
      type: 'ENCRYPT',
      tags: ['PII'],
      params: { 'encrypt.kek.name': 'acme-kek', 'encrypt.kms.type': 'acme-kms', 'encrypt.kms.key.id': 'team-a/key-1' },
    },
  ],
};

afterAll(() => {
  unregisterKmsDriver('acme-kms');
});

describe('custom KMS driver', () => {
  it('is used by the serde for wrap and unwrap', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const kms = { 'acme-kms': { 'acme.master.key': 'correct horse battery staple' } };
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema: { schema: JSON.stringify(schema), ruleSet } });
    const bytes = await serializer.serialize('users', { name: 'Alan', ssn: '078-05-1120' });
    expect(bytes.toString('latin1')).not.toContain('078-05-1120');
    expect((await dekRegistry.getKek('acme-kek'))?.kmsType).toBe('acme-kms');
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    expect(await deserializer.deserialize('users', bytes)).toEqual({ name: 'Alan', ssn: '078-05-1120' });
  });

  it('can decorate a built-in driver (here: count aws-kms clients built)', async () => {
    const builtin = getKmsDriver('aws-kms');
    let built = 0;
    registerKmsDriver({
      kmsType: 'aws-kms',
      newClient(options) {
        built++;
        return builtin.newClient(options);
      },
    });
    try {
      const client = await getKmsDriver('aws-kms').newClient({ kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k', config: {} });
      expect(client.keyUrl).toBe('aws-kms://arn:aws:kms:us-east-1:111122223333:key/k');
      expect(built).toBe(1);
    } finally {
      registerKmsDriver(builtin);
    }
  });

  it('the built-in cloud drivers are registered on import', () => {
    for (const t of ['local-kms', 'aws-kms', 'azure-kms', 'gcp-kms', 'hcvault']) expect(getKmsDriver(t).kmsType).toBe(t);
  });
});

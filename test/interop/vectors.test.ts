/**
 * Confluent's shared cross-language CSFLE vectors (fact sheet §L: the same bytes are checked by
 * the Java, Go, Python and JS clients) decrypt through kafka-csfle's public AvroDeserializer.
 */
import { describe, expect, it } from 'vitest';
import { AvroDeserializer, InMemoryDekRegistry, InMemorySchemaRegistry, type DekAlgorithm } from '../../src/index';
import { ConfluentSide, schemaInfo } from './helpers';

const f1Schema = { type: 'record', name: 'F1Schema', fields: [{ name: 'f1', type: 'string', 'confluent:tags': ['PII'] }] };

const vectors: { name: string; algorithm: DekAlgorithm; expiryDays?: string; ekm: string; prefix: string; body: string }[] = [
  {
    name: 'AES256_GCM',
    algorithm: 'AES256_GCM',
    ekm: '07V2ndh02DA73p+dTybwZFm7DKQSZN1tEwQh+FoX1DZLk4Yj2LLu4omYjp/84tAg3BYlkfGSz+zZacJHIE4=',
    prefix: '000000000168',
    body: 'zgy/jFNMV/eFilaHrMyeBgdaVzrR0udGeotW8cA/Jal7ukr+M/yz',
  },
  {
    name: 'AES256_SIV',
    algorithm: 'AES256_SIV',
    ekm: 'YSx3DTlAHrmpoDChquJMifmPntBzxgRVdMzgYL82rgWBKn7aUSnG+WIu9ozBNS3y2vXd++mBtK07w4/W/G6w0da39X9hfOVZsGnkSvry/QRht84V8yz3dqKxGMOK5A==',
    prefix: '000000000148',
    body: 'D6YtxrlBnkTWW9N6Vbk3IInjWH81xmYh3k4d',
  },
  {
    name: 'AES256_GCM with encrypt.dek.expiry.days=1',
    algorithm: 'AES256_GCM',
    expiryDays: '1',
    ekm: 'W/v6hOQYq1idVAcs1pPWz9UUONMVZW4IrglTnG88TsWjeCjxmtRQ4VaNe/I5dCfm2zyY9Cu0nqdvqImtUk4=',
    prefix: '000000000178',
    body: 'AAAAAAG4HI6b1nXPXqLyG8cII35NHQseqqUCd+IeLeFVAeNpSS3fxPnJ32A=',
  },
];

function ruleSet(v: (typeof vectors)[number]) {
  return {
    domainRules: [
      {
        name: 'test-encrypt',
        kind: 'TRANSFORM' as const,
        mode: 'WRITEREAD' as const,
        type: 'ENCRYPT',
        tags: ['PII'],
        params: {
          'encrypt.kek.name': 'kek1',
          'encrypt.kms.type': 'local-kms',
          'encrypt.kms.key.id': 'mykey',
          ...(v.algorithm !== 'AES256_GCM' ? { 'encrypt.dek.algorithm': v.algorithm } : {}),
          ...(v.expiryDays ? { 'encrypt.dek.expiry.days': v.expiryDays } : {}),
        },
        onFailure: 'ERROR,ERROR',
      },
    ],
  };
}

describe('Confluent shared cross-language vectors through the public AvroDeserializer', () => {
  for (const v of vectors) {
    const bytes = Buffer.concat([Buffer.from(v.prefix, 'hex'), Buffer.from(v.body, 'utf8')]);

    it(`${v.name}: decrypts to "hello world"`, async () => {
      const schemaRegistry = new InMemorySchemaRegistry();
      expect(await schemaRegistry.register('topic1-value', schemaInfo(f1Schema, ruleSet(v)), { id: 1 })).toBe(1);
      const dekRegistry = new InMemoryDekRegistry();
      await dekRegistry.registerKek({ name: 'kek1', kmsType: 'local-kms', kmsKeyId: 'mykey', shared: false });
      await dekRegistry.registerDek('kek1', { subject: 'topic1-value', version: 1, algorithm: v.algorithm, encryptedKeyMaterial: v.ekm });
      const deser = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: 'mysecret' } } });
      expect({ ...(await deser.deserialize('topic1', bytes) as object) }).toEqual({ f1: 'hello world' });
    });

    it(`${v.name}: Confluent's own deserializer agrees (oracle sanity)`, async () => {
      const confluent = new ConfluentSide();
      await confluent.register('topic1-value', schemaInfo(f1Schema, ruleSet(v)), 1);
      await confluent.dekClient.registerKek('kek1', 'local-kms', 'mykey', false);
      await confluent.dekClient.registerDek('kek1', 'topic1-value', v.algorithm, 1, v.ekm);
      expect({ ...(await confluent.deserializer().deserialize('topic1', bytes)) }).toEqual({ f1: 'hello world' });
    });
  }

  it('a wrong local secret fails to decrypt (no silent garbage)', async () => {
    const v = vectors[0]!;
    const schemaRegistry = new InMemorySchemaRegistry();
    await schemaRegistry.register('topic1-value', schemaInfo(f1Schema, ruleSet(v)), { id: 1 });
    const dekRegistry = new InMemoryDekRegistry();
    await dekRegistry.registerKek({ name: 'kek1', kmsType: 'local-kms', kmsKeyId: 'mykey', shared: false });
    await dekRegistry.registerDek('kek1', { subject: 'topic1-value', version: 1, algorithm: v.algorithm, encryptedKeyMaterial: v.ekm });
    const deser = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret: 'not-the-secret' } } });
    await expect(deser.deserialize('topic1', Buffer.concat([Buffer.from(v.prefix, 'hex'), Buffer.from(v.body)]))).rejects.toThrow();
  });
});

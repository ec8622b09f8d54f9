/**
 * deserializeWithStatus: the per-record EncryptionType — decrypted with the key, ciphertext
 * without it (onFailure NONE), clear for values written unencrypted; never a value in errors.
 */
import { describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  type RuleSet,
} from '../../src/index';
import { customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';

const kms = { 'counting-kms': { secret: SECRET } };
const wrongKms = { 'counting-kms': { secret: 'not-the-secret' } };
const PII = ['com.acme.Customer.name', 'com.acme.Customer.email', 'com.acme.Customer.ssn'];

function setup(ruleSet: RuleSet) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const schema = { schema: JSON.stringify(customerSchema), ruleSet };
  const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema });
  return { schemaRegistry, dekRegistry, schema, serializer };
}

function byPath<T extends { path: string }>(encryption: T[]): Record<string, T> {
  return Object.fromEntries(encryption.map((e) => [e.path, e]));
}

describe('deserializeWithStatus', () => {
  it('a consumer with the key gets every tagged field decrypted, with its DEK version', async () => {
    const { schemaRegistry, dekRegistry, serializer } = setup(encryptRuleSet({}, { onFailure: 'ERROR,NONE' }));
    const bytes = await serializer.serialize('customers', customer);
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    const { value, encryption } = await deserializer.deserializeWithStatus('customers', bytes);
    expect(value).toEqual(customer);
    expect(encryption.map((e) => e.path).sort()).toEqual([...PII].sort());
    for (const e of encryption) {
      expect(e).toEqual({ path: e.path, target: 'field', status: 'decrypted', dekVersion: 1, ruleName: 'encrypt-pii', kekName: 'kek1', algorithm: 'AES256_GCM' });
    }
  });

  it('a consumer without the key (onFailure NONE) gets status ciphertext for each tagged field', async () => {
    const { schemaRegistry, dekRegistry, serializer } = setup(encryptRuleSet({}, { onFailure: 'ERROR,NONE' }));
    const bytes = await serializer.serialize('customers', customer);
    const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: wrongKms });
    const { value, encryption } = await deserializer.deserializeWithStatus<typeof customer>('customers', bytes);
    expect(value!.country).toBe('UK');
    expect(value!.name).not.toBe(customer.name);
    expect(encryption).toHaveLength(3);
    for (const e of encryption) {
      expect(e.status).toBe('ciphertext');
      expect(e.dekVersion).toBe(1);
      expect(typeof e.code).toBe('string');
    }
    // the plain path agrees on the value
    expect(await deserializer.deserialize('customers', bytes)).toEqual(value);
    // pass-throughs warn once per (rule, subject, code) and period, like the plain path, and are counted
    const warnings: string[] = [];
    const logged = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: wrongKms, logger: { warn: (m) => warnings.push(m) } });
    for (let i = 0; i < 5; i++) await logged.deserializeWithStatus('customers', bytes);
    expect(warnings.filter((w) => w.includes('onFailure is NONE'))).toHaveLength(1);
    expect(logged.stats().passThroughs).toBe(5);
  });

  it('reads the DEK version from the prefix when DEKs rotate', async () => {
    const rules = encryptRuleSet({ 'encrypt.dek.expiry.days': '30' }, { onFailure: 'ERROR,NONE' });
    const { schemaRegistry, dekRegistry, serializer } = setup(rules);
    const bytes = await serializer.serialize('customers', customer);
    for (const k of [kms, wrongKms]) {
      const { encryption } = await new AvroDeserializer({ schemaRegistry, dekRegistry, kms: k }).deserializeWithStatus('customers', bytes);
      expect(encryption.map((e) => [e.status, e.dekVersion])).toEqual(Array(3).fill([k === kms ? 'decrypted' : 'ciphertext', 1]));
    }
  });

  it('values written in clear (a producer whose rule fell back to NONE) are reported clear; ERROR rejects them', async () => {
    const rules = encryptRuleSet({}, { onFailure: 'NONE' });
    const { schemaRegistry, dekRegistry, schema, serializer } = setup(rules);
    await serializer.serialize('customers', customer); // creates the DEK under the right secret
    // A second producer whose KMS cannot unwrap that DEK writes the record as is.
    const clearProducer = new AvroSerializer({ schemaRegistry, dekRegistry, kms: wrongKms, schema });
    const clearBytes = await clearProducer.serialize('customers', customer);
    expect(clearBytes.toString('latin1')).toContain(customer.ssn);

    const lenient = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    const { value, encryption } = await lenient.deserializeWithStatus('customers', clearBytes);
    expect(value).toEqual(customer);
    expect(Object.values(byPath(encryption)).map((e) => [e.path, e.status, e.dekVersion, e.code])).toEqual(
      PII.map((p) => [p, 'clear', undefined, 'INVALID_CIPHERTEXT']),
    );

    const strict = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, ruleOverrides: [{ type: 'ENCRYPT', onFailure: 'ERROR' }] });
    const err = await strict.deserializeWithStatus('customers', clearBytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsfleError);
    expect((err as CsfleError).code).toBe('INVALID_CIPHERTEXT');
    for (const pii of [customer.name, customer.email, customer.ssn]) expect(String((err as Error).message)).not.toContain(pii);
  });

  it('null tagged fields are not listed', async () => {
    const { schemaRegistry, dekRegistry, serializer } = setup(encryptRuleSet());
    const bytes = await serializer.serialize('customers', { ...customer, ssn: null });
    const { encryption } = await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserializeWithStatus('customers', bytes);
    expect(encryption.map((e) => e.path).sort()).toEqual(['com.acme.Customer.email', 'com.acme.Customer.name']);
  });

  it('reports an encrypted payload (ENCRYPT_PAYLOAD)', async () => {
    const rules: RuleSet = {
      encodingRules: [
        { name: 'encrypt-payload', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT_PAYLOAD', onFailure: 'ERROR,NONE', params: { 'encrypt.kek.name': 'kek1', 'encrypt.kms.type': 'counting-kms', 'encrypt.kms.key.id': 'k' } },
      ],
    };
    const { schemaRegistry, dekRegistry, serializer } = setup(rules);
    const bytes = await serializer.serialize('customers', customer);
    const ok = await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserializeWithStatus('customers', bytes);
    expect(ok.value).toEqual(customer);
    expect(ok.encryption).toEqual([{ path: '', target: 'payload', status: 'decrypted', dekVersion: 1, ruleName: 'encrypt-payload', kekName: 'kek1', algorithm: 'AES256_GCM' }]);
  });

  it('counts payload decryptions in stats() through deserializeWithStatus as through deserialize', async () => {
    const rules: RuleSet = {
      encodingRules: [
        { name: 'encrypt-payload', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT_PAYLOAD', onFailure: 'ERROR', params: { 'encrypt.kek.name': 'kek1', 'encrypt.kms.type': 'counting-kms', 'encrypt.kms.key.id': 'k' } },
      ],
    };
    const { schemaRegistry, dekRegistry, serializer } = setup(rules);
    const bytes = await serializer.serialize('customers', customer);
    const withStatus = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    const plain = new AvroDeserializer({ schemaRegistry, dekRegistry, kms });
    for (let i = 0; i < 3; i++) {
      await withStatus.deserializeWithStatus('customers', bytes);
      await plain.deserialize('customers', bytes);
    }
    const counts = (d: AvroDeserializer) => d.stats().deks.map((k) => ({ version: k.version, decryptions: k.decryptions, payloadDecryptions: k.payloadDecryptions }));
    expect(counts(withStatus)).toEqual([{ version: 1, decryptions: 3, payloadDecryptions: 3 }]);
    expect(counts(withStatus)).toEqual(counts(plain));
  });

  it('a schema without rules gives an empty list', async () => {
    const { schemaRegistry, dekRegistry, serializer } = setup({});
    const bytes = await serializer.serialize('customers', customer);
    const out = await new AvroDeserializer({ schemaRegistry, dekRegistry, kms }).deserializeWithStatus('customers', bytes);
    expect(out).toEqual({ value: customer, encryption: [] });
  });
});

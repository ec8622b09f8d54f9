import { describe, expect, it } from 'vitest';
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, type RegisteredSchema, type RuleSet, type SchemaSource } from '../../src/index';

// A registry like AxonOps: one schema id shared by two subjects, the rule set attached only to
// one subject's version (so `getById` answers differ by subject).
const schemaText = JSON.stringify({ type: 'record', name: 'U', namespace: 'n', fields: [{ name: 'ssn', type: 'string', 'confluent:tags': ['PII'] }] });
const rules: RuleSet = {
  domainRules: [{ name: 'enc', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'], params: { 'encrypt.kek.name': 'k1', 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'x' } }],
};
function subjectScopedSource(): SchemaSource & { asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  return {
    asked,
    async register() {
      return 7;
    },
    async getById(id, subject): Promise<RegisteredSchema> {
      asked.push(subject);
      return subject === 'b-value' ? { id, schema: schemaText, ruleSet: rules } : { id, schema: schemaText };
    },
    async getLatest() {
      throw new Error('unused');
    },
    async getByVersion() {
      throw new Error('unused');
    },
  };
}

describe('schemas whose rule set depends on the subject', () => {
  it('the serializer never applies one subject’s (missing) rules to another subject', async () => {
    const source = subjectScopedSource();
    const kms = { 'local-kms': { secret: 's' } };
    const dekRegistry = new InMemoryDekRegistry();
    const ser = new AvroSerializer({ schemaRegistry: source, dekRegistry, kms, schema: schemaText });
    expect((await ser.serialize('a', { ssn: '111-22-3333' })).toString('latin1')).toContain('111-22-3333');
    const b = await ser.serialize('b', { ssn: '111-22-3333' });
    expect(b.toString('latin1')).not.toContain('111-22-3333');
    const de = new AvroDeserializer({ schemaRegistry: source, dekRegistry, kms });
    expect(await de.deserialize('b', b)).toEqual({ ssn: '111-22-3333' });
    expect(source.asked).toContain('b-value');
    expect(source.asked).not.toContain(undefined);
  });
});

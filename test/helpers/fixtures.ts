import {
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  localKmsDriver,
  registerKmsDriver,
  type DekRegistry,
  type KmsClient,
  type RuleSet,
} from '../../src/index';

export const SECRET = 'test-secret-不要';

/** Customer schema: 7 fields, 3 PII strings (inline tags). */
export const customerSchema = {
  type: 'record',
  name: 'Customer',
  namespace: 'com.acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'email', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
    { name: 'country', type: 'string' },
    { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['FREE', 'GOLD'] } },
    { name: 'balance', type: 'double' },
  ],
};

export const customer = {
  id: 42,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  ssn: '123-45-6789',
  country: 'UK',
  tier: 'GOLD',
  balance: 12.5,
};

export function encryptRuleSet(params: Record<string, string> = {}, extra: Partial<RuleSet['domainRules'] extends (infer R)[] | undefined ? R : never> = {}): RuleSet {
  return {
    domainRules: [
      {
        name: 'encrypt-pii',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT',
        tags: ['PII'],
        params: {
          'encrypt.kek.name': 'kek1',
          'encrypt.kms.type': 'counting-kms',
          'encrypt.kms.key.id': 'key1',
          ...params,
        },
        ...extra,
      },
    ],
  };
}

/** KMS config: the local-kms driver with the test secret. */
export const LOCAL_KMS = { 'local-kms': { secret: SECRET } };

/** {@link encryptRuleSet} with a local-kms KEK. */
export function localRules(params: Record<string, string> = {}, extra: Parameters<typeof encryptRuleSet>[1] = {}): RuleSet {
  return encryptRuleSet({ 'encrypt.kms.type': 'local-kms', ...params }, extra);
}

/** Counts KMS calls: a driver `counting-kms` delegating to local-kms. */
export const kmsCalls = { wrap: 0, unwrap: 0 };
registerKmsDriver({
  kmsType: 'counting-kms',
  async newClient(opts) {
    const inner = (await localKmsDriver.newClient(opts)) as KmsClient;
    return {
      keyUrl: `counting-kms://${opts.kmsKeyId}`,
      async wrap(p) {
        kmsCalls.wrap++;
        await new Promise((r) => setTimeout(r, 5));
        return inner.wrap(p);
      },
      async unwrap(c) {
        kmsCalls.unwrap++;
        await new Promise((r) => setTimeout(r, 5));
        return inner.unwrap(c);
      },
    };
  },
});

export function resetKmsCalls(): void {
  kmsCalls.wrap = 0;
  kmsCalls.unwrap = 0;
}

/** Wraps an object in a proxy that counts calls per method (methods run on the real object). */
export function countingCalls<T extends object>(inner: T): { proxy: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, calls };
}

/** A DekRegistry counting calls per method. */
export function countingDekRegistry(inner: DekRegistry = new InMemoryDekRegistry()): { registry: DekRegistry; calls: Record<string, number>; inner: DekRegistry } {
  const { proxy, calls } = countingCalls(inner);
  return { registry: proxy, calls, inner };
}

/** An InMemorySchemaRegistry counting calls per method. */
export function countingSchemaRegistry(): { registry: InMemorySchemaRegistry; calls: Record<string, number> } {
  const { proxy, calls } = countingCalls(new InMemorySchemaRegistry());
  return { registry: proxy, calls };
}

export function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

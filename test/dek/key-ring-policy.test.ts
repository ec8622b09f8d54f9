/**
 * The key ring's policy through the public serde API: negative caching of poison records, one LRU
 * bound for every unwrapped key (with wiping), usage limits per DEK, key age, and stats().
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  CsfleError,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  KeyRing,
  localKmsDriver,
  newKmsClient,
  registerKmsDriver,
  type DekRegistry,
  type KeyRingOptions,
  type RuleSet,
} from '../../src/index';
import { countingDekRegistry, customer, customerSchema, encryptRuleSet, kmsCalls, resetKmsCalls, SECRET, total } from '../helpers/fixtures';

const kms = { 'counting-kms': { secret: SECRET }, 'local-kms': { secret: SECRET }, 'gated-kms': { secret: SECRET } };
const TOPIC = 'customers';
const SUBJECT = 'customers-value';

/** A KMS whose unwrap answers only when the test opens the gate. */
const gate = { open: true, waiting: [] as Array<() => void>, unwraps: 0 };
registerKmsDriver({
  kmsType: 'gated-kms',
  async newClient(o) {
    const inner = await localKmsDriver.newClient(o);
    return {
      keyUrl: `gated-kms://${o.kmsKeyId}`,
      wrap: (p) => inner.wrap(p),
      async unwrap(c) {
        gate.unwraps++;
        if (!gate.open) await new Promise<void>((r) => gate.waiting.push(r));
        return inner.unwrap(c);
      },
    };
  },
});
function openGate(): void {
  gate.open = true;
  for (const r of gate.waiting.splice(0)) r();
}

interface World {
  schemaRegistry: InMemorySchemaRegistry;
  inner: InMemoryDekRegistry;
  dekRegistry: DekRegistry;
  calls: Record<string, number>;
  ruleSet: RuleSet;
  serializer(keyRing?: KeyRingOptions): AvroSerializer;
  deserializer(keyRing?: KeyRingOptions): AvroDeserializer;
  /** Writes records with the rule disabled: field values are taken as given (forged ciphertext). */
  forge(value: typeof customer): Promise<Buffer>;
}

function world(params: Record<string, string> = {}): World {
  const schemaRegistry = new InMemorySchemaRegistry();
  const inner = new InMemoryDekRegistry();
  const { registry: dekRegistry, calls } = countingDekRegistry(inner);
  const ruleSet = encryptRuleSet(params);
  const schema = { schema: JSON.stringify(customerSchema), ruleSet };
  const plain = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, ruleOverrides: [{ type: 'ENCRYPT', disabled: true }] });
  return {
    schemaRegistry,
    inner,
    dekRegistry,
    calls,
    ruleSet,
    serializer: (keyRing = {}) => new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, keyRing }),
    deserializer: (keyRing = {}) => new AvroDeserializer({ schemaRegistry, dekRegistry, kms, keyRing }),
    forge: (value) => plain.serialize(TOPIC, value),
  };
}

/** The DEK version prefix of an encrypted string field (rotation on). */
function versionOf(field: string): number {
  return Buffer.from(field, 'base64').readInt32BE(1);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CsfleError);
    return (err as CsfleError).code;
  }
}

const report: string[] = [];
afterEach(() => {
  if (report.length) console.log(report.splice(0).join('\n'));
});
beforeEach(() => resetKmsCalls());

describe('negative cache: poison records cost no per-record I/O', () => {
  it('10,000 records with forged DEK version prefixes (same and random versions) cost ≤ 10 registry + KMS calls; a real rotation is still read', async () => {
    const w = world({ 'encrypt.dek.expiry.days': '1' });
    const producer = w.serializer({ maxEncryptionsPerDek: 3 }); // one record = 3 PII fields: the next record rotates
    const consumer = w.deserializer();
    const first = await producer.serialize(TOPIC, customer);
    expect(await consumer.deserialize(TOPIC, first)).toEqual(customer);

    const registryBefore = total(w.calls);
    const kmsBefore = kmsCalls.unwrap + kmsCalls.wrap;
    const forged = (version: number): string => {
      const b = Buffer.alloc(5 + 40, 7);
      b[0] = 0;
      b.writeInt32BE(version, 1);
      return b.toString('base64');
    };
    let failures = 0;
    for (let i = 0; i < 10_000; i++) {
      // half the same forged version, half random 32-bit versions (negative ones included)
      const version = i % 2 === 0 ? 7 : (Math.random() * 2 ** 32) | 0;
      const bytes = await w.forge({ ...customer, name: forged(version), email: forged(version), ssn: forged(version) });
      const code = await codeOf(consumer.deserialize(TOPIC, bytes));
      expect(['DEK_NOT_FOUND']).toContain(code);
      failures++;
    }
    const registryCalls = total(w.calls) - registryBefore;
    const kmsCallsMade = kmsCalls.unwrap + kmsCalls.wrap - kmsBefore;
    report.push(`[figures] 10,000 forged-version records: ${registryCalls} DEK registry calls, ${kmsCallsMade} KMS calls, ${consumer.stats().cache.negativeHits} negative-cache hits`);
    expect(failures).toBe(10_000);
    expect(registryCalls + kmsCallsMade).toBeLessThanOrEqual(10);

    // The producer rotates to v2 (v1 used up): v2 = latest + 1 is still asked for, and read.
    const second = await producer.serialize(TOPIC, customer);
    expect(await consumer.deserialize(TOPIC, second)).toEqual(customer);
    expect(producer.stats().usageRotations).toBe(1);
  });

  it('a DEK whose material unwraps to an invalid key: one KMS unwrap for 10,000 records; INVALID_KEY names the KEK and version', async () => {
    const w = world();
    await w.inner.registerKek({ name: 'kek1', kmsType: 'counting-kms', kmsKeyId: 'key1' });
    const client = await newKmsClient('counting-kms', 'key1', { secret: SECRET }, {});
    const wrappedGarbage = await client.wrap(Buffer.from('not a tink key proto at all'));
    await w.inner.registerDek('kek1', { subject: SUBJECT, encryptedKeyMaterial: wrappedGarbage.toString('base64') });
    resetKmsCalls();
    const consumer = w.deserializer();
    const fake = Buffer.alloc(40, 1).toString('base64');
    const bytes = await w.forge({ ...customer, name: fake, email: fake, ssn: fake });
    const registryBefore = total(w.calls);
    let message = '';
    for (let i = 0; i < 10_000; i++) {
      try {
        await consumer.deserialize(TOPIC, bytes);
        throw new Error('expected a failure');
      } catch (err) {
        expect((err as CsfleError).code).toBe('INVALID_KEY');
        message = (err as Error).message;
      }
    }
    report.push(`[figures] 10,000 records under a DEK with invalid key material: ${kmsCalls.unwrap} KMS unwraps, ${total(w.calls) - registryBefore} registry calls`);
    expect(kmsCalls.unwrap).toBe(1);
    expect(total(w.calls) - registryBefore).toBeLessThanOrEqual(2);
    expect(message).toContain('kek=kek1');
    expect(message).toContain('dekVersion=1');
    expect(message).not.toContain(wrappedGarbage.toString('base64'));
  });
});

describe('one bound for every unwrapped key', () => {
  it('capacity 100 and 10,000 subjects: ≤ 100 live ciphers on both sides', async () => {
    const w = world({ 'encrypt.kek.name': 'kek-many', 'encrypt.kms.type': 'local-kms' });
    const producer = w.serializer({ capacity: 100 });
    const consumer = w.deserializer({ capacity: 100 });
    const heap = (): number => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    };
    const N = 10_000;
    const records: Buffer[] = [];
    let h0 = 0;
    for (let i = 0; i < N; i++) {
      if (i === 100) h0 = heap();
      records.push(await producer.serialize(`t${i}`, customer));
    }
    const h1 = heap();
    expect(producer.stats().cache.liveCiphers).toBeLessThanOrEqual(100);
    for (let i = 0; i < N; i++) expect(await consumer.deserialize(`t${i}`, records[i]!)).toEqual(customer);
    const p = producer.stats();
    const c = consumer.stats();
    report.push(
      `[figures] capacity 100, ${N} subjects: producer live ciphers ${p.cache.liveCiphers} (evictions ${p.cache.evictions}), ` +
        `consumer live ciphers ${c.cache.liveCiphers} (evictions ${c.cache.evictions}); producer heap growth ${Math.round((h1 - h0) / (N - 100))} B/subject` +
        `${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'}`,
    );
    expect(p.cache.liveCiphers).toBeLessThanOrEqual(100);
    expect(c.cache.liveCiphers).toBeLessThanOrEqual(100);
    expect(c.cache.evictions).toBeGreaterThanOrEqual(N - 100);
    // Producing again on an evicted subject unwraps its DEK again (the wiped key is not used).
    expect(await consumer.deserialize('t0', await producer.serialize('t0', customer))).toEqual(customer);
  }, 120_000);

  it('evicts the least recently used key and wipes it: a kept reference throws KEY_DESTROYED', async () => {
    const registry = new InMemoryDekRegistry();
    const writer = new KeyRing({ registry, kms });
    const req = (subject: string) => ({ kekName: 'k', kmsType: 'local-kms', kmsKeyId: 'x', subject, algorithm: 'AES256_GCM' as const, expiryDays: 0 });
    const cts: Record<string, Buffer> = {};
    for (const s of ['a', 'b', 'c']) cts[s] = (await writer.writeKey(req(s))).cipher.encrypt(Buffer.from(`secret-${s}`));
    const ring = new KeyRing({ registry, kms, capacity: 2 });
    const a = await ring.readKey('k', 'a', 'AES256_GCM', 1);
    const b = await ring.readKey('k', 'b', 'AES256_GCM', 1);
    expect(a.decrypt(cts['a']!).toString()).toBe('secret-a'); // a is now more recent than b
    await ring.readKey('k', 'c', 'AES256_GCM', 1);
    expect(ring.peekReadKey('k', 'a', 'AES256_GCM', 1)).toBe(a);
    expect(ring.peekReadKey('k', 'b', 'AES256_GCM', 1)).toBeUndefined();
    expect(() => b.decrypt(cts['b']!)).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
    expect(ring.stats().cache).toMatchObject({ liveCiphers: 2, evictions: 1, capacity: 2 });
    // The producer side shares the bound: a write key evicted by reads is wiped too.
    const both = new KeyRing({ registry, kms, capacity: 1 });
    const wk = await both.writeKey(req('a'));
    await both.readKey('k', 'b', 'AES256_GCM', 1);
    expect(() => wk.cipher.encrypt(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
    expect(both.peekWriteKey(req('a'))).toBeUndefined();
    expect(both.stats().cache.liveCiphers).toBe(1);
    ring.clear();
    expect(() => a.decrypt(cts['a']!)).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
    expect(ring.stats().cache.liveCiphers).toBe(0);
  });
});

describe('clear()', () => {
  afterEach(() => openGate());

  it('a key whose unwrap was in flight during clear() lands wiped, not cached', async () => {
    const registry = new InMemoryDekRegistry();
    const req = { kekName: 'k-clear', kmsType: 'gated-kms', kmsKeyId: 'x', subject: 's', algorithm: 'AES256_GCM' as const, expiryDays: 0 };
    const ct = (await new KeyRing({ registry, kms }).writeKey(req)).cipher.encrypt(Buffer.from('x'));
    const ring = new KeyRing({ registry, kms });
    gate.open = false;
    const pending = Promise.resolve(ring.readKey('k-clear', 's', 'AES256_GCM', 1));
    await vi.waitFor(() => expect(gate.waiting.length).toBe(1), { timeout: 2000, interval: 5 });
    ring.clear();
    openGate();
    const cipher = await pending;
    expect(() => cipher.decrypt(ct)).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
    expect(ring.stats().cache.liveCiphers).toBe(0);
    expect((await ring.readKey('k-clear', 's', 'AES256_GCM', 1)).decrypt(ct).toString()).toBe('x');
  });
});

describe('maxEncryptionsPerDek', () => {
  it('rotates to a new DEK version when the rule has encrypt.dek.expiry.days > 0 (also mid-record)', async () => {
    const w = world({ 'encrypt.dek.expiry.days': '30' });
    const producer = w.serializer({ maxEncryptionsPerDek: 4 });
    const plainReader = new AvroDeserializer({ schemaRegistry: w.schemaRegistry, dekRegistry: w.dekRegistry, kms, ruleOverrides: [{ type: 'ENCRYPT', disabled: true }] });
    const r1 = await producer.serialize(TOPIC, customer); // 3 encryptions with v1
    const r2 = await producer.serialize(TOPIC, customer); // v1 runs out on the 2nd field: the record is redone with v2
    const r3 = await producer.serialize(TOPIC, customer); // v2: 6 > 4 → v3 mid-record
    const versions = async (b: Buffer) => {
      const v = (await plainReader.deserialize(TOPIC, b)) as typeof customer;
      return [versionOf(v.name), versionOf(v.email), versionOf(v.ssn)];
    };
    expect(await versions(r1)).toEqual([1, 1, 1]);
    expect(await versions(r2)).toEqual([2, 2, 2]);
    expect(await versions(r3)).toEqual([3, 3, 3]);
    const consumer = w.deserializer();
    for (const r of [r1, r2, r3]) expect(await consumer.deserialize(TOPIC, r)).toEqual(customer);
    const s = producer.stats();
    expect(s.usageRotations).toBe(2);
    expect(s.deks.map((d) => [d.version, d.encryptions])).toEqual([
      [1, 4],
      [2, 4],
      [3, 3],
    ]);
    expect((await w.inner.listDekVersions('kek1', SUBJECT)).length).toBe(3);
  });

  it('fails closed with DEK_USAGE_LIMIT (saying how to enable rotation) without expiry days; no registry call per record', async () => {
    const w = world();
    const producer = w.serializer({ maxEncryptionsPerDek: 4, failureTtlMs: 60_000 });
    await producer.serialize(TOPIC, customer);
    let err: CsfleError | undefined;
    try {
      await producer.serialize(TOPIC, customer);
    } catch (e) {
      err = e as CsfleError;
    }
    expect(err?.code).toBe('DEK_USAGE_LIMIT');
    expect(err?.message).toContain('encrypt.dek.expiry.days');
    expect(err?.message).toContain('kek=kek1');
    expect(err?.message).toContain('dekVersion=1');
    const before = total(w.calls);
    for (let i = 0; i < 100; i++) expect(await codeOf(producer.serialize(TOPIC, customer))).toBe('DEK_USAGE_LIMIT');
    expect(total(w.calls) - before).toBe(0);
    expect((await w.inner.listDekVersions('kek1', SUBJECT)).length).toBe(1);
    expect(producer.stats().deks[0]).toMatchObject({ version: 1, encryptions: 4 });
  });

  it('defaults: 2^32 for AES-GCM, no limit for AES256_SIV', async () => {
    const { DEFAULT_MAX_GCM_ENCRYPTIONS } = await import('../../src/index');
    expect(DEFAULT_MAX_GCM_ENCRYPTIONS).toBe(2 ** 32);
  });
});

describe('maxKeyAgeMs', () => {
  afterEach(() => openGate());

  it('unwraps again in the background after 80 % of maxKeyAgeMs; records never wait while the KMS answers', async () => {
    let clock = 1_000_000;
    const w = world({ 'encrypt.kms.type': 'gated-kms', 'encrypt.kek.name': 'kek-age' });
    const bytes = await w.serializer().serialize(TOPIC, customer);
    const consumer = w.deserializer({ maxKeyAgeMs: 1000, now: () => clock });
    gate.unwraps = 0;
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer);
    expect(gate.unwraps).toBe(1);
    gate.open = false; // the KMS now answers only when told
    clock += 850;
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer); // in use past 80 %
    await vi.waitFor(() => expect(gate.unwraps).toBe(2), { timeout: 2000, interval: 10 });
    // The refresh is in flight: records are served by the key in hand.
    for (let i = 0; i < 100; i++) expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer);
    expect(consumer.stats().keyAge.refreshes).toBe(0);
    openGate();
    await vi.waitFor(() => expect(consumer.stats().keyAge.refreshes).toBe(1), { timeout: 2000, interval: 10 });
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer);
    expect(gate.unwraps).toBe(2); // one call per DEK, whatever the number of records
    expect(consumer.stats().kms.unwrapCalls).toBe(2);
    expect(consumer.stats().cache.liveCiphers).toBe(1);
  });

  it('wipes the key at maxKeyAgeMs when it could not be refreshed: a shredded DEK is lost by a running consumer', async () => {
    let clock = 1_000_000;
    const w = world({ 'encrypt.kms.type': 'gated-kms', 'encrypt.kek.name': 'kek-shred' });
    const bytes = await w.serializer().serialize(TOPIC, customer);
    const consumer = w.deserializer({ maxKeyAgeMs: 1000, now: () => clock });
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer);
    // Shred: soft-delete then permanently delete the DEK.
    await w.inner.deleteDek('kek-shred', SUBJECT);
    await w.inner.deleteDek('kek-shred', SUBJECT, { permanent: true });
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer); // still cached
    clock += 1000;
    await vi.waitFor(() => expect(consumer.stats().cache.liveCiphers).toBe(0), { timeout: 2000, interval: 10 });
    expect(consumer.stats().keyAge.expirations).toBe(1);
    expect(await codeOf(consumer.deserialize(TOPIC, bytes))).toBe('DEK_NOT_FOUND');
  });

  it('a key past its age is wiped even when unused, and the next record unwraps it again (producer side too)', async () => {
    let clock = 1_000_000;
    const w = world({ 'encrypt.kms.type': 'gated-kms', 'encrypt.kek.name': 'kek-idle' });
    const producer = w.serializer({ maxKeyAgeMs: 1000, now: () => clock });
    const bytes = await producer.serialize(TOPIC, customer);
    gate.unwraps = 0;
    clock += 1000;
    await vi.waitFor(() => expect(producer.stats().cache.liveCiphers).toBe(0), { timeout: 2000, interval: 10 });
    expect(gate.unwraps).toBe(0); // unused since created: not refreshed, just wiped
    const again = await producer.serialize(TOPIC, customer);
    expect(gate.unwraps).toBe(1);
    const consumer = w.deserializer();
    expect(await consumer.deserialize(TOPIC, bytes)).toEqual(customer);
    expect(await consumer.deserialize(TOPIC, again)).toEqual(customer);
  });
});

describe('maxKeyAgeMs: KMS calls per hour at the default', () => {
  it('1 consumer reading 100 subjects for one simulated hour: one refresh per DEK every 12 min', async () => {
    let clock = 0;
    const registry = new InMemoryDekRegistry();
    const writer = new KeyRing({ registry, kms });
    const subjects = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const cts = new Map<string, Buffer>();
    for (const s of subjects) {
      const key = await writer.writeKey({ kekName: 'k-hour', kmsType: 'local-kms', kmsKeyId: 'x', subject: s, algorithm: 'AES256_GCM', expiryDays: 0 });
      cts.set(s, key.cipher.encrypt(Buffer.from(s)));
    }
    const ring = new KeyRing({ registry, kms, now: () => clock }); // default maxKeyAgeMs (15 min)
    for (const s of subjects) await ring.readKey('k-hour', s, 'AES256_GCM', 1);
    const afterWarmUp = ring.stats();
    // One simulated hour, a record per subject every 10 s; housekeeping as the timer does it (1 s).
    for (let t = 1000; t <= 3_600_000; t += 1000) {
      clock = t;
      if (t % 10_000 === 0) {
        for (const s of subjects) {
          const c = ring.peekReadKey('k-hour', s, 'AES256_GCM', 1) ?? (await ring.readKey('k-hour', s, 'AES256_GCM', 1));
          expect(c.decrypt(cts.get(s)!).toString()).toBe(s);
        }
      }
      ring.sweep();
      await new Promise((r) => setImmediate(r));
    }
    const st = ring.stats();
    const unwraps = st.kms.unwrapCalls - afterWarmUp.kms.unwrapCalls;
    const reads = st.registry.calls - afterWarmUp.registry.calls;
    report.push(`[figures] default maxKeyAgeMs, 1 consumer, 100 subjects, 1 h: ${unwraps} KMS unwraps, ${reads} registry reads, ${st.keyAge.expirations} keys expired unrefreshed, ${st.cache.misses - afterWarmUp.cache.misses} blocking loads`);
    expect(unwraps).toBe(500); // refreshed at 12, 24, 36, 48 and 60 min
    expect(st.keyAge.expirations).toBe(0);
    expect(st.cache.misses - afterWarmUp.cache.misses).toBe(0); // no record ever waited
    ring.clear();
  }, 60_000);
});

describe('stats()', () => {
  it('is one plain-object snapshot on serializer and deserializer', async () => {
    const w = world();
    const producer = w.serializer();
    const consumer = w.deserializer();
    for (let i = 0; i < 5; i++) await consumer.deserialize(TOPIC, await producer.serialize(TOPIC, customer));
    const p = producer.stats();
    const c = consumer.stats();
    expect(p).toMatchObject({
      kms: { wrapCalls: 1, unwrapCalls: 0 },
      cache: { liveCiphers: 1, negativeHits: 0, evictions: 0, capacity: 10_000 },
      deks: [{ kekName: 'kek1', subject: SUBJECT, algorithm: 'AES256_GCM', version: 1, encryptions: 15, decryptions: 0 }],
    });
    expect(p.registry.calls).toBeGreaterThan(0);
    expect(p.cache.hits).toBeGreaterThanOrEqual(4);
    expect(c).toMatchObject({ kms: { wrapCalls: 0, unwrapCalls: 1 }, deks: [{ version: 1, encryptions: 0, decryptions: 15 }] });
    expect(c.cache.misses).toBe(1);
    expect(c.cache.hits).toBeGreaterThanOrEqual(15);
    // A snapshot: later records do not change it; it survives JSON.
    await producer.serialize(TOPIC, customer);
    expect(p.deks[0]!.encryptions).toBe(15);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});

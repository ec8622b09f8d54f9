import { describe, expect, it } from 'vitest';
import { DekRegistryError, InMemoryDekRegistry, KeyRing } from '../../src/index';
import { countingDekRegistry } from '../helpers/fixtures';

const kms = { 'local-kms': { secret: 'ring-secret' } };
const req = { kekName: 'k', kmsType: 'local-kms', kmsKeyId: 'x', subject: 's', algorithm: 'AES256_GCM' as const, expiryDays: 0 };

describe('KeyRing', () => {
  it('auto-registers the KEK and DEK, then serves the key synchronously', async () => {
    const { registry, calls } = countingDekRegistry();
    const ring = new KeyRing({ registry, kms });
    expect(ring.peekWriteKey(req)).toBeUndefined();
    const key = await ring.writeKey(req);
    expect(key.version).toBe(1);
    expect(ring.peekWriteKey(req)).toBe(key);
    // getKek/getDek twice: the live record, then the soft-deleted one (never revived) before creating.
    expect(calls).toMatchObject({ getKek: 2, registerKek: 1, getDek: 2, registerDek: 1 });
    const ct = key.cipher.encrypt(Buffer.from('hello'));
    const reader = new KeyRing({ registry, kms });
    const cipher = await reader.readKey('k', 's', 'AES256_GCM', 1);
    expect(cipher.decrypt(ct).toString()).toBe('hello');
    expect(reader.peekReadKey('k', 's', 'AES256_GCM', 1)).toBe(cipher);
  });

  it('rejects a rule whose kms type or key id differs from the registered KEK', async () => {
    const registry = new InMemoryDekRegistry();
    await registry.registerKek({ name: 'k', kmsType: 'local-kms', kmsKeyId: 'other' });
    const err = await Promise.resolve(new KeyRing({ registry, kms }).writeKey(req)).catch((e: unknown) => e);
    expect((err as DekRegistryError).code).toBe('KEK_MISMATCH');
  });

  it('re-checks "latest" after latestTtlMs and picks up another producer’s newer DEK', async () => {
    let now = 1_000_000;
    const registry = new InMemoryDekRegistry({ now: () => now });
    const a = new KeyRing({ registry, kms, latestTtlMs: 1000, now: () => now });
    const b = new KeyRing({ registry, kms, latestTtlMs: 1000, now: () => now });
    const rot = { ...req, expiryDays: 1 };
    expect((await a.writeKey(rot)).version).toBe(1);
    now += 86_400_000;
    expect((await b.writeKey(rot)).version).toBe(2);
    expect((await a.writeKey(rot)).version).toBe(2);
  });

  it('keeps an expired DEK when creating the next version fails (and logs a warning)', async () => {
    let now = 1_000_000;
    const inner = new InMemoryDekRegistry({ now: () => now });
    const warnings: string[] = [];
    let failCreate = false;
    const registry = new Proxy(inner, {
      get(t, p) {
        const v = Reflect.get(t, p) as (...a: unknown[]) => unknown;
        if (p === 'registerDek') return (...args: unknown[]) => (failCreate ? Promise.reject(new DekRegistryError('REGISTRY_UNAVAILABLE', 'down', { retryable: true })) : v.apply(t, args));
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const ring = new KeyRing({ registry, kms, latestTtlMs: 0, now: () => now, logger: { warn: (m) => warnings.push(m) } });
    const rot = { ...req, expiryDays: 1 };
    expect((await ring.writeKey(rot)).version).toBe(1);
    now += 2 * 86_400_000;
    failCreate = true;
    expect((await ring.writeKey(rot)).version).toBe(1);
    expect(warnings.length).toBe(1);
  });

  it('a failed lookup is remembered for failureTtlMs, then asked again', async () => {
    let now = 1_000_000;
    const registry = new InMemoryDekRegistry();
    const remembering = new KeyRing({ registry, kms, failureTtlMs: 10_000, now: () => now });
    await expect(Promise.resolve(remembering.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KEK_NOT_FOUND' });
    await new KeyRing({ registry, kms }).writeKey(req);
    await expect(Promise.resolve(remembering.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KEK_NOT_FOUND' });
    expect(remembering.stats().cache.negativeHits).toBe(1);
    now += 10_000;
    expect(await remembering.readKey('k', 's', 'AES256_GCM', 1)).toBeDefined();
  });

  it('with failureTtlMs 0 a failed lookup is not cached: the next call retries', async () => {
    const registry = new InMemoryDekRegistry();
    const ring = new KeyRing({ registry, kms, failureTtlMs: 0 });
    await expect(Promise.resolve(ring.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KEK_NOT_FOUND' });
    const key = await new KeyRing({ registry, kms }).writeKey(req);
    const cipher = await ring.readKey('k', 's', 'AES256_GCM', 1);
    expect(cipher.decrypt(key.cipher.encrypt(Buffer.from('x'))).toString()).toBe('x');
  });
});

describe('KeyRing under failures (no per-record I/O storms)', () => {
  function flakyRegistry(inner = new InMemoryDekRegistry()) {
    const state = { down: false, failCreate: false, calls: 0 };
    const registry = new Proxy(inner, {
      get(t, p) {
        const v = Reflect.get(t, p) as (...a: unknown[]) => unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          state.calls++;
          if (state.down) return Promise.reject(new DekRegistryError('REGISTRY_UNAVAILABLE', 'registry down', { retryable: true }));
          if (p === 'registerDek' && state.failCreate) return Promise.reject(new DekRegistryError('UNAUTHORIZED', 'forbidden', { status: 403 }));
          return v.apply(t, args);
        };
      },
    });
    return { registry, state };
  }

  it('keeps producing with the DEK in hand when the registry is down at refresh time', async () => {
    let now = 1_000_000;
    const { registry, state } = flakyRegistry();
    const warnings: string[] = [];
    const ring = new KeyRing({ registry, kms, latestTtlMs: 1000, retryAfterMs: 5000, now: () => now, logger: { warn: (m) => warnings.push(m) } });
    const key = await ring.writeKey(req);
    now += 2000;
    state.down = true;
    state.calls = 0;
    expect(await ring.writeKey(req)).toBe(key);
    const callsAfterFirstFailure = state.calls;
    for (let i = 0; i < 100; i++) expect(ring.peekWriteKey(req)).toBe(key);
    expect(state.calls).toBe(callsAfterFirstFailure);
    expect(warnings).toHaveLength(1);
    now += 6000;
    expect(ring.peekWriteKey(req)).toBeUndefined();
    state.down = false;
    expect((await ring.writeKey(req)).version).toBe(1);
  });

  it('a refused rotation is retried after retryAfterMs, not on every record', async () => {
    let now = 1_000_000;
    const { registry, state } = flakyRegistry(new InMemoryDekRegistry({ now: () => now }));
    const ring = new KeyRing({ registry, kms, latestTtlMs: 0, retryAfterMs: 10_000, now: () => now });
    const rot = { ...req, expiryDays: 1 };
    expect((await ring.writeKey(rot)).version).toBe(1);
    now += 2 * 86_400_000;
    state.failCreate = true;
    expect((await ring.writeKey(rot)).version).toBe(1);
    state.calls = 0;
    for (let i = 0; i < 100; i++) expect((await ring.writeKey(rot)).version).toBe(1);
    expect(state.calls).toBe(0);
    now += 11_000;
    state.failCreate = false;
    expect((await ring.writeKey(rot)).version).toBe(2);
  });

  it('remembers a KMS refusal for failureTtlMs: one KMS call per DEK, not per record', async () => {
    let now = 1_000_000;
    const registry = new InMemoryDekRegistry();
    await new KeyRing({ registry, kms }).writeKey(req);
    let unwraps = 0;
    const { registerKmsDriver, localKmsDriver } = await import('../../src/index');
    registerKmsDriver({
      kmsType: 'local-kms-counted',
      async newClient(o) {
        const inner = await localKmsDriver.newClient(o);
        return { keyUrl: inner.keyUrl, wrap: (p) => inner.wrap(p), unwrap: (c) => (unwraps++, inner.unwrap(c)) };
      },
    });
    const reg2 = new InMemoryDekRegistry();
    await reg2.registerKek({ name: 'k', kmsType: 'local-kms-counted', kmsKeyId: 'x' });
    const dek = (await registry.getDek('k', 's'))!;
    await reg2.registerDek('k', { subject: 's', encryptedKeyMaterial: dek.encryptedKeyMaterial! });
    const outsider = new KeyRing({ registry: reg2, kms: { 'local-kms-counted': { secret: 'wrong' } }, failureTtlMs: 30_000, now: () => now });
    for (let i = 0; i < 50; i++) {
      await expect(Promise.resolve(outsider.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KMS_ACCESS_DENIED' });
    }
    expect(unwraps).toBe(1);
    now += 31_000;
    await expect(Promise.resolve(outsider.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KMS_ACCESS_DENIED' });
    expect(unwraps).toBe(2);
  });

  it('checks the rule against the KEK on every refresh, also with a warm cache', async () => {
    const registry = new InMemoryDekRegistry();
    const ring = new KeyRing({ registry, kms });
    await ring.writeKey(req);
    const other = { ...req, subject: 's2', kmsKeyId: 'different' };
    await expect(Promise.resolve(ring.writeKey(other))).rejects.toMatchObject({ code: 'KEK_MISMATCH' });
  });
});

describe('KeyRing cipher cache', () => {
  it('dekVersions is a live view: filled by readKey, bounded by capacity, emptied by clear()', async () => {
    const registry = new InMemoryDekRegistry();
    const writer = new KeyRing({ registry, kms });
    await writer.writeKey(req);
    await writer.writeKey({ ...req, subject: 's2' });
    const ring = new KeyRing({ registry, kms, capacity: 1 });
    const s = ring.dekVersions('k', 's', 'AES256_GCM');
    expect(s.size).toBe(0);
    await ring.readKey('k', 's', 'AES256_GCM', 1);
    expect(s.has(1)).toBe(true);
    await ring.readKey('k', 's2', 'AES256_GCM', 1);
    expect(s.has(1)).toBe(false); // evicted: capacity 1
    expect(ring.dekVersions('k', 's2', 'AES256_GCM').has(1)).toBe(true);
    ring.clear();
    expect(ring.dekVersions('k', 's2', 'AES256_GCM').size).toBe(0);
    await ring.readKey('k', 's', 'AES256_GCM', 1);
    expect(s.has(1)).toBe(true); // the same map object is refilled after clear()
  });
});

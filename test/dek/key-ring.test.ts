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
    expect(calls).toMatchObject({ getKek: 1, registerKek: 1, getDek: 1, registerDek: 1 });
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

  it('a failed lookup is not cached: the next call retries', async () => {
    const registry = new InMemoryDekRegistry();
    const ring = new KeyRing({ registry, kms });
    await expect(Promise.resolve(ring.readKey('k', 's', 'AES256_GCM', 1))).rejects.toMatchObject({ code: 'KEK_NOT_FOUND' });
    const key = await new KeyRing({ registry, kms }).writeKey(req);
    const cipher = await ring.readKey('k', 's', 'AES256_GCM', 1);
    expect(cipher.decrypt(key.cipher.encrypt(Buffer.from('x'))).toString()).toBe('x');
  });
});

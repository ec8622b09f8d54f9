/**
 * DekRegistryClient against a local stub that answers exactly as Confluent's server does
 * (status + error_code from the DEK registry fact sheet): error mapping, 405 fallback, retries,
 * failover, timeouts, auth, caching. The same client against real AxonOps: test/registry/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { DekRegistryError } from '../../src/errors';
import { freePort, StubServer, type StubHandler } from '../registry/helpers';

const KEK = { name: 'k1', kmsType: 'local-kms', kmsKeyId: 'key1', kmsProps: {}, shared: false, ts: 1 };
const DEK = { kekName: 'k1', subject: 's-value', version: 1, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA', ts: 2 };

let stubs: StubServer[] = [];
async function stub(handler: StubHandler): Promise<StubServer> {
  const s = await new StubServer(handler).start();
  stubs.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.stop()));
  stubs = [];
});

const err = (status: number, code: number, message = 'x') => ({ status, body: { error_code: code, message } });

async function rejection(p: Promise<unknown>): Promise<DekRegistryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DekRegistryError);
    return e as DekRegistryError;
  }
  throw new Error('expected a rejection');
}

describe('DekRegistryClient — Confluent error mapping', () => {
  const cases: Array<[string, { status: number; body: unknown }, (c: DekRegistryClient) => Promise<unknown>, string, boolean]> = [
    ['40470 on update KEK', err(404, 40470, "Key 'k1' not found"), (c) => c.updateKek('k1', { doc: 'd' }), 'KEK_NOT_FOUND', false],
    ['40470 on delete DEK (subject named)', err(404, 40470, "Key 's-value' not found"), (c) => c.deleteDek('k1', 's-value'), 'DEK_NOT_FOUND', false],
    ['40470 on delete DEK (kek named)', err(404, 40470, "Key 'k1' not found"), (c) => c.deleteDek('k1', 's-value'), 'KEK_NOT_FOUND', false],
    ['40471 permanent delete of live KEK', err(404, 40471, "Key 'k1' must be soft-deleted first"), (c) => c.deleteKek('k1', { permanent: true }), 'NOT_SOFT_DELETED', false],
    ['40472 undelete DEK under soft-deleted KEK', err(404, 40472, "Key 'k1' must be undeleted first"), (c) => c.undeleteDek('k1', 's-value'), 'KEK_NOT_FOUND', false],
    ['409/40971 KEK exists', err(409, 40971), (c) => c.registerKek({ name: 'k1', kmsType: 'local-kms', kmsKeyId: 'x' }), 'CONFLICT', false],
    ['409/40971 DEK exists', err(409, 40971), (c) => c.registerDek('k1', { subject: 's-value' }), 'CONFLICT', false],
    ['409/40972 too many keys', err(409, 40972), (c) => c.registerDek('k1', { subject: 's-value' }), 'REGISTRY_ERROR', false],
    ['422/42271 invalid', err(422, 42271, "Invalid or missing value for field 'name'"), (c) => c.registerKek({ name: '1x', kmsType: 'local-kms', kmsKeyId: 'x' }), 'INVALID_REQUEST', false],
    ['422/42272 references exist', err(422, 42272), (c) => c.deleteKek('k1'), 'REFERENCE_EXISTS', false],
    ['422/42202 bad version', err(422, 42202), (c) => c.deleteDek('k1', 's', { version: 0 }), 'INVALID_REQUEST', false],
    ['401', err(401, 40101), (c) => c.listKeks(), 'UNAUTHORIZED', false],
    ['403', err(403, 40301), (c) => c.listKeks(), 'UNAUTHORIZED', false],
    ['403/40370 KMS denied', err(403, 40370), (c) => c.registerDek('k1', { subject: 's' }), 'UNAUTHORIZED', false],
    ['500/50070', err(500, 50070), (c) => c.registerDek('k1', { subject: 's' }), 'REGISTRY_UNAVAILABLE', true],
    ['503', err(503, 50003), (c) => c.listKeks(), 'REGISTRY_UNAVAILABLE', true],
    ['429', err(429, 42901), (c) => c.listKeks(), 'REGISTRY_UNAVAILABLE', true],
  ];
  for (const [name, answer, call, code, retryable] of cases) {
    it(`${name} -> ${code}`, async () => {
      const s = await stub(() => answer);
      const c = new DekRegistryClient({ url: s.url, maxRetries: 1, retryBackoffMs: 1 });
      const e = await rejection(call(c));
      expect(e.code).toBe(code);
      expect(e.retryable).toBe(retryable);
      expect(e.context.status).toBe(answer.status);
      expect(e.context.upstreamCode).toBe((answer.body as { error_code: number }).error_code);
    });
  }

  it('reads resolve undefined on 404 (KEK and DEK)', async () => {
    const s = await stub(() => err(404, 40470));
    const c = new DekRegistryClient({ url: s.url });
    expect(await c.getKek('k1')).toBeUndefined();
    expect(await c.getDek('k1', 's-value')).toBeUndefined();
    expect(await c.getDek('k1', 's-value', { version: 'latest' })).toBeUndefined();
  });

  it('never retries 4xx', async () => {
    const s = await stub(() => err(422, 42271));
    const c = new DekRegistryClient({ url: s.url, maxRetries: 5, retryBackoffMs: 1 });
    await rejection(c.listKeks());
    expect(s.requests).toHaveLength(1);
  });
});

describe('DekRegistryClient — requests as Confluent expects them', () => {
  it('getDek always sends algorithm and the version path; default version 1', async () => {
    const s = await stub(() => ({ status: 200, body: DEK }));
    const c = new DekRegistryClient({ url: s.url });
    const d = await c.getDek('k1', 's-value', { algorithm: 'AES256_SIV', deleted: true });
    expect(d).toMatchObject({ version: 1, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    expect(s.requests[0]!.path).toBe('/dek-registry/v1/keks/k1/deks/s-value/versions/1');
    expect(s.requests[0]!.query.get('algorithm')).toBe('AES256_SIV');
    expect(s.requests[0]!.query.get('deleted')).toBe('true');
    await c.getDek('k1', 's-value');
    expect(s.requests[1]!.query.get('algorithm')).toBe('AES256_GCM');
  });

  it('URL-encodes KEK names and subjects', async () => {
    const s = await stub(() => ({ status: 200, body: { ...DEK, subject: 'a/b c' } }));
    const c = new DekRegistryClient({ url: s.url });
    await c.getDek('k1', 'a/b c');
    expect(s.requests[0]!.path).toBe('/dek-registry/v1/keks/k1/deks/a%2Fb%20c/versions/1');
  });

  it('registerDek falls back to the old path on 405', async () => {
    const s = await stub((r) =>
      r.path === '/dek-registry/v1/keks/k1/deks/s-value' ? { status: 405, body: { error_code: 405, message: 'HTTP 405 Method Not Allowed' } } : { status: 200, body: DEK },
    );
    const c = new DekRegistryClient({ url: s.url });
    const d = await c.registerDek('k1', { subject: 's-value', algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    expect(d.version).toBe(1);
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /dek-registry/v1/keks/k1/deks/s-value',
      'POST /dek-registry/v1/keks/k1/deks',
    ]);
    expect(s.requests[1]!.body).toEqual({ subject: 's-value', version: 1, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
  });

  it('registerKek sends shared=false by default and normalizes the answer', async () => {
    const s = await stub(() => ({ status: 200, body: { name: 'k1', kmsType: 'local-kms', kmsKeyId: 'key1', shared: false } }));
    const c = new DekRegistryClient({ url: s.url });
    const k = await c.registerKek({ name: 'k1', kmsType: 'local-kms', kmsKeyId: 'key1' });
    expect(s.requests[0]!.body).toEqual({ name: 'k1', kmsType: 'local-kms', kmsKeyId: 'key1', shared: false });
    expect(k.kmsProps).toEqual({});
    expect(k.deleted).toBeUndefined();
  });

  it('list calls pass subjectPrefix (repeated), deleted, offset, limit', async () => {
    const s = await stub(() => ({ status: 200, body: ['k1'] }));
    const c = new DekRegistryClient({ url: s.url });
    expect(await c.listKeks({ subjectPrefix: ['a', 'b'], deleted: true, offset: 1, limit: 2 })).toEqual(['k1']);
    const q = s.requests[0]!.query;
    expect(q.getAll('subjectPrefix')).toEqual(['a', 'b']);
    expect([q.get('deleted'), q.get('offset'), q.get('limit')]).toEqual(['true', '1', '2']);
  });
});

describe('DekRegistryClient — retries, failover, timeouts, auth', () => {
  it('retries 5xx with backoff, then succeeds', async () => {
    let n = 0;
    const s = await stub(() => (++n < 3 ? err(503, 50301) : { status: 200, body: KEK }));
    const c = new DekRegistryClient({ url: s.url, maxRetries: 3, retryBackoffMs: 5 });
    expect((await c.getKek('k1'))?.name).toBe('k1');
    expect(s.requests).toHaveLength(3);
  });

  it("honours a 429's Retry-After (capped by retryMaxBackoffMs)", async () => {
    let n = 0;
    const s = await stub(() => (++n === 1 ? { ...err(429, 42901), headers: { 'Retry-After': '1' } } : { status: 200, body: [] }));
    const c = new DekRegistryClient({ url: s.url, maxRetries: 1, retryBackoffMs: 1, retryMaxBackoffMs: 300 });
    const t0 = Date.now();
    await c.listKeks();
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(1_000);
    expect(s.requests).toHaveLength(2);
  });

  it('fails over to the next URL when one is down, and sticks to the one that answered', async () => {
    const deadPort = await freePort();
    const s = await stub(() => ({ status: 200, body: ['k1'] }));
    const c = new DekRegistryClient({ url: [`http://127.0.0.1:${deadPort}`, s.url], maxRetries: 0 });
    expect(await c.listKeks()).toEqual(['k1']);
    expect(await c.listKeks()).toEqual(['k1']);
    expect(s.requests).toHaveLength(2);
  });

  it('a registry that is down gives a typed retryable REGISTRY_UNAVAILABLE quickly', async () => {
    const deadPort = await freePort();
    const c = new DekRegistryClient({ url: `http://127.0.0.1:${deadPort}`, maxRetries: 2, retryBackoffMs: 5 });
    const t0 = Date.now();
    const e = await rejection(c.getKek('k1'));
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('times out a hanging request (typed, retryable)', async () => {
    const s = await stub(() => ({ status: 200, body: KEK, delayMs: 2_000 }));
    const c = new DekRegistryClient({ url: s.url, timeoutMs: 100, maxRetries: 1, retryBackoffMs: 1 });
    const e = await rejection(c.getKek('k1'));
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/timed out after 100 ms/);
    expect(s.requests).toHaveLength(2);
  });

  it('sends basic auth, and never puts credentials in error messages', async () => {
    const s = await stub(() => err(401, 40101, 'Unauthorized'));
    const c = new DekRegistryClient({ url: s.url, auth: { basic: { username: 'u', password: 's3cr3t-pw' } } });
    const e = await rejection(c.listKeks());
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:s3cr3t-pw').toString('base64')}`);
    expect(e.message).not.toContain('s3cr3t-pw');
  });

  it('moves URL userinfo to basic auth and strips it from messages', async () => {
    const s = await stub(() => err(503, 50301));
    const withCreds = s.url.replace('http://', 'http://user:p%40ss@');
    const c = new DekRegistryClient({ url: withCreds, maxRetries: 0 });
    const e = await rejection(c.listKeks());
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(c.urls[0]).toBe(s.url);
    expect(e.message).not.toContain('p@ss');
  });

  it('sends a bearer token from an async provider on every request', async () => {
    const s = await stub(() => ({ status: 200, body: [] }));
    let n = 0;
    const c = new DekRegistryClient({ url: s.url, auth: { bearer: async () => `tok${++n}` } });
    await c.listKeks();
    await c.listKeks();
    expect(s.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok1', 'Bearer tok2']);
  });
});

describe('DekRegistryClient — cache', () => {
  it('caches KEKs and pinned DEK versions; concurrent misses make one request', async () => {
    const s = await stub((r) => ({ status: 200, body: r.path.includes('/deks/') ? DEK : KEK }));
    const c = new DekRegistryClient({ url: s.url });
    await Promise.all([c.getKek('k1'), c.getKek('k1'), c.getKek('k1')]);
    await c.getKek('k1');
    await Promise.all([c.getDek('k1', 's-value', { algorithm: 'AES256_SIV' }), c.getDek('k1', 's-value', { algorithm: 'AES256_SIV' })]);
    await c.getDek('k1', 's-value', { algorithm: 'AES256_SIV' });
    expect(s.requests).toHaveLength(2);
  });

  it('trusts "latest" only for cacheLatestTtlMs; registering a DEK evicts it', async () => {
    let version = 1;
    const s = await stub((r) =>
      r.method === 'POST' ? { status: 200, body: { ...DEK, version: 2 } } : { status: 200, body: { ...DEK, version } },
    );
    const c = new DekRegistryClient({ url: s.url, cacheLatestTtlMs: 150 });
    const opts = { algorithm: 'AES256_SIV' as const, version: 'latest' as const };
    expect((await c.getDek('k1', 's-value', opts))?.version).toBe(1);
    expect((await c.getDek('k1', 's-value', opts))?.version).toBe(1);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.path).toMatch(/\/versions\/latest$/);
    version = 2;
    await new Promise((ok) => setTimeout(ok, 200));
    expect((await c.getDek('k1', 's-value', opts))?.version).toBe(2);
    expect(s.requests).toHaveLength(2);
    version = 3;
    await c.registerDek('k1', { subject: 's-value', version: 2, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    expect((await c.getDek('k1', 's-value', opts))?.version).toBe(3);
  });

  it('never caches raw keyMaterial (shared KEKs)', async () => {
    const s = await stub(() => ({ status: 200, body: { ...DEK, keyMaterial: 'UkFX' } }));
    const c = new DekRegistryClient({ url: s.url });
    expect((await c.getDek('k1', 's-value'))?.keyMaterial).toBe('UkFX');
    expect((await c.getDek('k1', 's-value'))?.keyMaterial).toBe('UkFX');
    expect(s.requests).toHaveLength(2);
  });

  it('falls back to listing versions when the server rejects versions/latest (422/42202)', async () => {
    const s = await stub((r) => {
      if (r.path.endsWith('/versions/latest')) return err(422, 42202, 'Invalid version');
      if (r.path.endsWith('/versions')) return { status: 200, body: [1, 2] };
      return { status: 200, body: { ...DEK, version: Number(r.path.split('/').pop()) } };
    });
    const c = new DekRegistryClient({ url: s.url, cacheLatestTtlMs: 0 });
    expect((await c.getDek('k1', 's-value', { version: 'latest' }))?.version).toBe(2);
    expect((await c.getDek('k1', 's-value', { version: -1 }))?.version).toBe(2);
    // The second call does not try versions/latest again.
    expect(s.requests.filter((r) => r.path.endsWith('/versions/latest'))).toHaveLength(1);
  });
});

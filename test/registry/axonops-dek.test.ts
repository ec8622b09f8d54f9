/**
 * Every DekRegistryClient method against a real AxonOps Schema Registry (started by
 * scripts/services/axonops.sh), including the typed error mapping. Where AxonOps deviates from
 * Confluent's server, the test is named "AxonOps deviation" and asserts what AxonOps does; the
 * Confluent behaviour (the reference) is proven against a Confluent-exact stub in
 * test/dek/rest-client.test.ts and listed in docs/dek-registry.md.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DekRegistryClient } from '../../src/dek/rest-client';
import { DekRegistryError } from '../../src/errors';
import { requireEnv, uniq } from './helpers';

let url: string;
let client: DekRegistryClient;

beforeAll(() => {
  url = requireEnv('SCHEMA_REGISTRY_URL');
  client = new DekRegistryClient({ url, maxRetries: 1, retryBackoffMs: 10 });
});

async function rejection(p: Promise<unknown>): Promise<DekRegistryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DekRegistryError);
    return e as DekRegistryError;
  }
  throw new Error('expected a rejection');
}

const fresh = () => new DekRegistryClient({ url, cacheCapacity: 0 });

async function newKek(extra: { shared?: boolean } = {}): Promise<string> {
  const name = uniq('kek');
  await client.registerKek({ name, kmsType: 'local-kms', kmsKeyId: `key-${name}`, ...extra });
  return name;
}

describe('AxonOps — KEKs', () => {
  it('create, get, list, update, soft delete, undelete, permanent delete', async () => {
    const name = uniq('kek');
    const created = await client.registerKek({
      name,
      kmsType: 'local-kms',
      kmsKeyId: 'key-a',
      kmsProps: { region: 'x' },
      doc: 'first',
    });
    expect(created).toMatchObject({ name, kmsType: 'local-kms', kmsKeyId: 'key-a', kmsProps: { region: 'x' }, doc: 'first', shared: false });
    expect(typeof created.ts).toBe('number');
    expect(created.deleted).toBeUndefined();

    const c = fresh();
    expect(await c.getKek(name)).toMatchObject({ name, kmsKeyId: 'key-a', doc: 'first' });
    expect(await c.listKeks()).toContain(name);

    const updated = await c.updateKek(name, { doc: 'second', shared: true, kmsProps: { region: 'y' } });
    expect(updated).toMatchObject({ doc: 'second', shared: true, kmsProps: { region: 'y' } });
    expect(await c.getKek(name)).toMatchObject({ doc: 'second', shared: true });

    await c.deleteKek(name);
    expect(await c.getKek(name)).toBeUndefined();
    expect(await c.getKek(name, { deleted: true })).toMatchObject({ name, deleted: true });
    expect(await c.listKeks()).not.toContain(name);
    expect(await c.listKeks({ deleted: true })).toContain(name);

    await c.undeleteKek(name);
    expect((await c.getKek(name))?.deleted).toBeUndefined();

    await c.deleteKek(name);
    await c.deleteKek(name, { permanent: true });
    expect(await c.getKek(name, { deleted: true })).toBeUndefined();
  });

  it('list paging (offset / limit)', async () => {
    await newKek();
    await newKek();
    const all = await client.listKeks();
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(await client.listKeks({ offset: 1, limit: 1 })).toEqual([all[1]]);
  });

  it('409 on an existing KEK -> CONFLICT (AxonOps deviation: error_code 40970, Confluent 40971)', async () => {
    const name = await newKek();
    const e = await rejection(client.registerKek({ name, kmsType: 'local-kms', kmsKeyId: 'other' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.context).toMatchObject({ status: 409, upstreamCode: 40970, kekName: name });
    expect(e.retryable).toBe(false);
  });

  it('404 / 40470 -> reads undefined; writes KEK_NOT_FOUND', async () => {
    const missing = uniq('missing');
    expect(await client.getKek(missing)).toBeUndefined();
    for (const call of [
      () => client.updateKek(missing, { doc: 'x' }),
      () => client.undeleteKek(missing),
      () => client.deleteKek(missing),
      () => client.listDekSubjects(missing),
      () => client.listDekVersions(missing, 's'),
      () => client.registerDek(missing, { subject: 's', encryptedKeyMaterial: 'AAAA' }),
    ]) {
      const e = await rejection(call());
      expect(e.code).toBe('KEK_NOT_FOUND');
      expect(e.context).toMatchObject({ status: 404, upstreamCode: 40470 });
    }
  });

  it('422 on a missing field -> INVALID_REQUEST (AxonOps deviation: error_code 42201, Confluent 42271)', async () => {
    const e = await rejection(client.registerKek({ name: uniq('k'), kmsType: 'local-kms', kmsKeyId: '' }));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.context).toMatchObject({ status: 422, upstreamCode: 42201 });
  });
});

describe('AxonOps — DEKs', () => {
  it('create, get by version / latest, list subjects and versions, delete, undelete', async () => {
    const kek = await newKek();
    const subject = uniq('orders') + '-value';
    const d1 = await client.registerDek(kek, { subject, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    expect(d1).toMatchObject({ kekName: kek, subject, version: 1, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    const d2 = await client.registerDek(kek, { subject, version: 2, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'BBBB' });
    expect(d2.version).toBe(2);

    const c = fresh();
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV' })).toMatchObject({ version: 1, encryptedKeyMaterial: 'AAAA' });
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 2 })).toMatchObject({ encryptedKeyMaterial: 'BBBB' });
    // algorithm is part of the DEK identity and is always sent
    expect(await c.getDek(kek, subject)).toBeUndefined();
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 'latest' })).toMatchObject({ version: 2 });
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 3 })).toBeUndefined();

    expect(await c.listDekSubjects(kek)).toEqual([subject]);
    expect(await c.listDekVersions(kek, subject, { algorithm: 'AES256_SIV' })).toEqual([1, 2]);
    expect(await c.listDekVersions(kek, subject)).toEqual([]);

    // soft delete one version: hidden unless deleted=true
    await c.deleteDek(kek, subject, { algorithm: 'AES256_SIV', version: 1 });
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 1 })).toBeUndefined();
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 1, deleted: true })).toMatchObject({ deleted: true });
    await c.undeleteDek(kek, subject, { algorithm: 'AES256_SIV', version: 1 });
    expect(await c.getDek(kek, subject, { algorithm: 'AES256_SIV', version: 1 })).toMatchObject({ version: 1 });

    // all versions
    await c.deleteDek(kek, subject, { algorithm: 'AES256_SIV' });
    expect(await c.listDekVersions(kek, subject, { algorithm: 'AES256_SIV' })).toEqual([]);
    expect(await c.listDekSubjects(kek)).toEqual([]);
    expect(await c.listDekSubjects(kek, { deleted: true })).toEqual([subject]);
    await c.undeleteDek(kek, subject, { algorithm: 'AES256_SIV' });
    expect(await c.listDekVersions(kek, subject, { algorithm: 'AES256_SIV' })).toEqual([1, 2]);

    // full tear-down in Confluent's order
    await c.deleteDek(kek, subject, { algorithm: 'AES256_SIV' });
    await c.deleteDek(kek, subject, { algorithm: 'AES256_SIV', permanent: true });
    await c.deleteKek(kek);
    await c.deleteKek(kek, { permanent: true });
    expect(await c.getKek(kek, { deleted: true })).toBeUndefined();
  });

  it('409 / 40971 on an existing DEK -> CONFLICT', async () => {
    const kek = await newKek();
    const subject = uniq('s');
    await client.registerDek(kek, { subject, encryptedKeyMaterial: 'AAAA' });
    const e = await rejection(client.registerDek(kek, { subject, encryptedKeyMaterial: 'BBBB' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.context).toMatchObject({ status: 409, upstreamCode: 40971, kekName: kek, subject });
  });

  it('a missing DEK on delete/undelete -> DEK_NOT_FOUND (AxonOps deviation: 404/40471 "not found", Confluent 40470)', async () => {
    const kek = await newKek();
    for (const call of [
      () => client.deleteDek(kek, 'nope'),
      () => client.deleteDek(kek, 'nope', { version: 1 }),
      () => client.undeleteDek(kek, 'nope'),
    ]) {
      const e = await rejection(call());
      expect(e.code).toBe('DEK_NOT_FOUND');
      expect(e.context).toMatchObject({ status: 404, upstreamCode: 40471 });
    }
  });

  it('422 on an invalid algorithm / version -> INVALID_REQUEST', async () => {
    const kek = await newKek();
    const bad = await rejection(
      client.registerDek(kek, { subject: 's', algorithm: 'AES512' as never, encryptedKeyMaterial: 'AAAA' }),
    );
    expect(bad.code).toBe('INVALID_REQUEST');
    expect(bad.context.status).toBe(422);
    const v0 = await rejection(client.deleteDek(kek, 's', { version: 0 }));
    expect(v0.code).toBe('INVALID_REQUEST');
    expect(v0.context).toMatchObject({ status: 422, upstreamCode: 42202 });
  });

  it('subjects with reserved characters are URL-encoded (AxonOps deviation: stores the still-encoded path segment)', async () => {
    const kek = await newKek();
    const subject = `${uniq('weird')} a+b:c`;
    await client.registerDek(kek, { subject, encryptedKeyMaterial: 'AAAA' });
    const back = await fresh().getDek(kek, subject);
    // Found again under the same name, but AxonOps (v0.2.1) does not decode path parameters, so
    // it reports the subject percent-encoded. Confluent decodes: subject === 'weird_... a+b:c'.
    expect(back?.subject).toBe(encodeURIComponent(subject));
  });
});

describe('AxonOps deviations from Confluent (documented in docs/dek-registry.md)', () => {
  it('versions/latest is rejected with 422/42202; the client falls back to listing versions', async () => {
    const kek = await newKek();
    const r = await fetch(`${url}/dek-registry/v1/keks/${kek}/deks/s/versions/latest?algorithm=AES256_GCM`);
    expect(r.status).toBe(422);
    expect(((await r.json()) as { error_code: number }).error_code).toBe(42202);
    await client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' });
    expect((await fresh().getDek(kek, 's', { version: 'latest' }))?.version).toBe(1);
  });

  it('soft-deleting a KEK that still has live DEKs succeeds (Confluent: 422/42272 REFERENCE_EXISTS)', async () => {
    const kek = await newKek();
    await client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' });
    await expect(client.deleteKek(kek)).resolves.toBeUndefined();
  });

  it('permanently deleting a live KEK or DEK succeeds (Confluent: 404/40471 NOT_SOFT_DELETED)', async () => {
    const kek = await newKek();
    await client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' });
    await expect(client.deleteDek(kek, 's', { version: 1, permanent: true })).resolves.toBeUndefined();
    await expect(client.deleteKek(kek, { permanent: true })).resolves.toBeUndefined();
  });

  it('undeleting a DEK under a soft-deleted KEK succeeds (Confluent: 404/40472)', async () => {
    const kek = await newKek();
    await client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' });
    await client.deleteDek(kek, 's');
    await client.deleteKek(kek);
    await expect(client.undeleteDek(kek, 's')).resolves.toBeUndefined();
  });

  it('a DEK without encryptedKeyMaterial under a non-shared KEK is accepted (Confluent: 422/42271)', async () => {
    const kek = await newKek();
    const d = await client.registerDek(kek, { subject: 's' });
    expect(d.encryptedKeyMaterial).toBeUndefined();
  });

  it('KEK names are not validated and kmsType is not normalized (Confluent: 422/42271, aws -> aws-kms)', async () => {
    const name = `1${uniq('k')}`;
    const k = await client.registerKek({ name, kmsType: 'aws', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/x' });
    expect(k.kmsType).toBe('aws');
  });

  it('PUT with null does not clear doc / kmsProps (Confluent: null clears)', async () => {
    const name = uniq('k');
    await client.registerKek({ name, kmsType: 'local-kms', kmsKeyId: 'x', doc: 'keep', kmsProps: { a: 'b' } });
    const k = await client.updateKek(name, { doc: null, kmsProps: null });
    expect(k).toMatchObject({ doc: 'keep', kmsProps: { a: 'b' } });
  });

  it('the algorithm is not part of a DEK identity: AES256_SIV v1 then AES256_GCM v1 for one KEK and subject -> 409, then 404 on read (Confluent: two DEKs)', async () => {
    const kek = await newKek();
    const subject = uniq('s');
    await client.registerDek(kek, { subject, version: 1, algorithm: 'AES256_SIV', encryptedKeyMaterial: 'AAAA' });
    const e = await rejection(client.registerDek(kek, { subject, version: 1, algorithm: 'AES256_GCM', encryptedKeyMaterial: 'BBBB' }));
    expect(e.code).toBe('CONFLICT');
    expect(await fresh().getDek(kek, subject, { version: 1, algorithm: 'AES256_GCM' })).toBeUndefined();
    expect(await fresh().getDek(kek, subject, { version: 1, algorithm: 'AES256_SIV' })).toMatchObject({ version: 1, algorithm: 'AES256_SIV' });
  });

  it('GET /keks?subjectPrefix= ignores the filter (Confluent: only KEKs with DEKs under those subjects)', async () => {
    const withDek = await newKek();
    const without = await newKek();
    const subject = uniq('only');
    await client.registerDek(withDek, { subject, encryptedKeyMaterial: 'AAAA' });
    const listed = await fresh().listKeks({ subjectPrefix: [subject] });
    expect(listed).toContain(withDek);
    expect(listed).toContain(without);
  });

  it('re-creating a soft-deleted DEK with the same material is a 409 (Confluent: acts as undelete)', async () => {
    const kek = await newKek();
    await client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' });
    await client.deleteDek(kek, 's');
    const e = await rejection(client.registerDek(kek, { subject: 's', encryptedKeyMaterial: 'AAAA' }));
    expect(e.code).toBe('CONFLICT');
  });
});

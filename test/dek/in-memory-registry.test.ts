import { describe, expect, it } from 'vitest';
import { DekRegistryError, InMemoryDekRegistry } from '../../src/index';

const code = async (p: Promise<unknown>): Promise<string> => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(DekRegistryError);
  return (e as DekRegistryError).code;
};

describe('InMemoryDekRegistry keeps Confluent semantics', () => {
  it('KEKs: create, 409 on duplicate, validation, kmsType normalization, update, soft/permanent delete, undelete', async () => {
    const r = new InMemoryDekRegistry();
    const kek = await r.registerKek({ name: 'k1', kmsType: 'aws', kmsKeyId: 'arn:aws:kms:us-east-1:1:key/x', kmsProps: { b: '2', a: '1' } });
    expect(kek).toMatchObject({ name: 'k1', kmsType: 'aws-kms', shared: false, kmsProps: { a: '1', b: '2' } });
    expect(Object.keys(kek.kmsProps)).toEqual(['a', 'b']);
    expect(await code(r.registerKek({ name: 'k1', kmsType: 'aws-kms', kmsKeyId: 'arn:aws:kms:us-east-1:1:key/x' }))).toBe('CONFLICT');
    expect(await code(r.registerKek({ name: '1bad', kmsType: 'local-kms', kmsKeyId: 'x' }))).toBe('INVALID_REQUEST');
    expect(await code(r.registerKek({ name: 'k2', kmsType: 'local-kms', kmsKeyId: '' }))).toBe('INVALID_REQUEST');
    expect((await r.updateKek('k1', { doc: 'hello', shared: false })).doc).toBe('hello');
    expect(await r.listKeks()).toEqual(['k1']);

    await r.registerDek('k1', { subject: 's', encryptedKeyMaterial: 'AAAA' });
    expect(await code(r.deleteKek('k1'))).toBe('REFERENCE_EXISTS');
    await r.deleteDek('k1', 's');
    expect(await code(r.deleteKek('k1', { permanent: true }))).toBe('NOT_SOFT_DELETED');
    await r.deleteKek('k1');
    expect(await r.getKek('k1')).toBeUndefined();
    expect((await r.getKek('k1', { deleted: true }))?.deleted).toBe(true);
    expect(await r.listKeks()).toEqual([]);
    expect(await r.listKeks({ deleted: true })).toEqual(['k1']);
    expect(await code(r.undeleteDek('k1', 's'))).toBe('KEK_NOT_FOUND');
    expect(await code(r.deleteKek('k1', { permanent: true }))).toBe('REFERENCE_EXISTS');
    await r.deleteDek('k1', 's', { permanent: true });
    await r.deleteKek('k1', { permanent: true });
    expect(await r.getKek('k1', { deleted: true })).toBeUndefined();
  });

  it('DEKs: identity includes algorithm, versions and latest, 409, missing material, soft delete', async () => {
    let t = 1000;
    const r = new InMemoryDekRegistry({ now: () => t++ });
    await r.registerKek({ name: 'k', kmsType: 'local-kms', kmsKeyId: 'x' });
    expect(await code(r.registerDek('nope', { subject: 's', encryptedKeyMaterial: 'AA==' }))).toBe('KEK_NOT_FOUND');
    expect(await code(r.registerDek('k', { subject: 's' }))).toBe('INVALID_REQUEST');
    await r.registerDek('k', { subject: 's', encryptedKeyMaterial: 'AQ==' });
    await r.registerDek('k', { subject: 's', version: 2, encryptedKeyMaterial: 'Ag==' });
    await r.registerDek('k', { subject: 's', algorithm: 'AES256_SIV', encryptedKeyMaterial: 'Aw==' });
    expect(await code(r.registerDek('k', { subject: 's', version: 2, encryptedKeyMaterial: 'Ag==' }))).toBe('CONFLICT');
    expect((await r.getDek('k', 's'))?.encryptedKeyMaterial).toBe('AQ==');
    expect((await r.getDek('k', 's', { version: 'latest' }))?.version).toBe(2);
    expect((await r.getDek('k', 's', { algorithm: 'AES256_SIV' }))?.encryptedKeyMaterial).toBe('Aw==');
    expect(await r.getDek('k', 's', { algorithm: 'AES128_GCM' })).toBeUndefined();
    expect(await r.listDekVersions('k', 's')).toEqual([1, 2]);
    expect(await r.listDekSubjects('k')).toEqual(['s']);
    await r.deleteDek('k', 's', { version: 2 });
    expect((await r.getDek('k', 's', { version: 'latest' }))?.version).toBe(1);
    expect((await r.getDek('k', 's', { version: 2, deleted: true }))?.deleted).toBe(true);
    await r.undeleteDek('k', 's', { version: 2 });
    expect((await r.getDek('k', 's', { version: -1 }))?.version).toBe(2);
  });

  it('shared KEKs: the registry generates and wraps the DEK and returns keyMaterial', async () => {
    const r = new InMemoryDekRegistry({ kms: { 'local-kms': { secret: 'registry-side' } } });
    await r.registerKek({ name: 'sk', kmsType: 'local-kms', kmsKeyId: 'x', shared: true });
    const dek = await r.registerDek('sk', { subject: 's', algorithm: 'AES256_SIV' });
    expect(Buffer.from(dek.keyMaterial!, 'base64').length).toBe(66);
    expect((await r.getDek('sk', 's', { algorithm: 'AES256_SIV' }))?.keyMaterial).toBe(dek.keyMaterial);
  });

  it('returns copies', async () => {
    const r = new InMemoryDekRegistry();
    const kek = await r.registerKek({ name: 'k', kmsType: 'local-kms', kmsKeyId: 'x' });
    kek.kmsKeyId = 'changed';
    expect((await r.getKek('k'))?.kmsKeyId).toBe('x');
  });
});

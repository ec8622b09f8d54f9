/**
 * Audit events from the serdes: DEK created (and rotated), DEK unwrapped, KMS refusal and
 * onFailure NONE pass-through — identifiers only, never a value or key material — and the
 * JSON-lines trail they make.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, jsonLinesAuditWriter, rewrapKek, shredDeks, type AuditEvent } from '../../src/index';
import { customer, customerSchema, encryptRuleSet, SECRET } from '../helpers/fixtures';

const kms = { 'counting-kms': { secret: SECRET } };
const DAY = 86_400_000;

function strip(events: AuditEvent[]): Omit<AuditEvent, 'time'>[] {
  return events.map(({ time, ...rest }) => {
    expect(Number.isNaN(Date.parse(time))).toBe(false);
    return rest;
  });
}

describe('audit events', () => {
  it('DEK created, rotated and unwrapped; KMS refusal and NONE pass-through; never a value or a key', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry({ now: () => now });
    const schema = { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet({ 'encrypt.dek.expiry.days': '1' }, { onFailure: 'ERROR,NONE' }) };
    const produced: AuditEvent[] = [];
    const serializer = new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema, onAudit: (e) => produced.push(e), keyRing: { now: () => now } });
    const first = await serializer.serialize('customers', customer);
    await serializer.serialize('customers', customer);
    now += 2 * DAY;
    const second = await serializer.serialize('customers', customer);
    const dek = { kekName: 'kek1', subject: 'customers-value', algorithm: 'AES256_GCM', kmsType: 'counting-kms', kmsKeyId: 'key1' };
    expect(strip(produced)).toEqual([
      { type: 'dek.created', ...dek, dekVersion: 1 },
      { type: 'dek.created', ...dek, dekVersion: 2, rotation: true, previousVersion: 1 },
    ]);

    const consumed: AuditEvent[] = [];
    const reader = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, onAudit: (e) => consumed.push(e), keyRing: { now: () => now } });
    await reader.deserialize('customers', first);
    await reader.deserialize('customers', first);
    await reader.deserialize('customers', second);
    expect(strip(consumed)).toEqual([
      { type: 'dek.unwrapped', ...dek, dekVersion: 1 },
      { type: 'dek.unwrapped', ...dek, dekVersion: 2 },
    ]);

    const stream = new PassThrough();
    let trail = '';
    stream.on('data', (d: Buffer) => (trail += d.toString()));
    const writer = jsonLinesAuditWriter(stream);
    const denied = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'counting-kms': { secret: 'wrong' } }, onAudit: writer.onAudit, keyRing: { now: () => now } });
    for (let i = 0; i < 10; i++) await denied.deserialize('customers', first);
    await writer.close();
    const lines = trail.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(strip(lines)).toEqual([
      { type: 'kms.refused', ...dek, dekVersion: 1, operation: 'unwrap', code: 'KMS_ACCESS_DENIED' },
      { type: 'rule.passthrough', subject: 'customers-value', ruleName: 'encrypt-pii', kekName: 'kek1', topic: 'customers', operation: 'READ', code: 'KMS_ACCESS_DENIED', count: 1 },
    ]);
    const all = JSON.stringify([produced, consumed, lines]);
    for (const v of [customer.name, customer.email, customer.ssn, SECRET]) expect(all).not.toContain(v);
    expect(all).not.toMatch(/encryptedKeyMaterial|keyMaterial/);
  });

  it('kek.rewrapped per DEK version rewrapped, dek.shredded per version destroyed', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const schema = { schema: JSON.stringify(customerSchema), ruleSet: encryptRuleSet() };
    await new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema }).serialize('customers', customer);
    await new AvroSerializer({ schemaRegistry, dekRegistry, kms, schema }).serialize('orders', customer);
    const events: AuditEvent[] = [];
    const journalPath = path.join(mkdtempSync(path.join(tmpdir(), 'audit-rewrap-')), 'j.journal');
    await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath, dryRun: true, onAudit: (e) => events.push(e) });
    expect(events).toEqual([]);
    await rewrapKek({ dekRegistry, kms, kekName: 'kek1', journalPath, onAudit: (e) => events.push(e) });
    await shredDeks({ dekRegistry, kekName: 'kek1', subject: 'orders-value', onAudit: (e) => events.push(e) });
    const k = { kekName: 'kek1', algorithm: 'AES256_GCM', dekVersion: 1 };
    expect(strip(events).sort((a, b) => `${a.type}${a.subject}`.localeCompare(`${b.type}${b.subject}`))).toEqual([
      { type: 'dek.shredded', ...k, subject: 'orders-value' },
      { type: 'kek.rewrapped', ...k, subject: 'customers-value', kmsType: 'counting-kms', kmsKeyId: 'key1' },
      { type: 'kek.rewrapped', ...k, subject: 'orders-value', kmsType: 'counting-kms', kmsKeyId: 'key1' },
    ]);
  });
});

/**
 * Schemas and records shared by the interop tests.
 */
import * as avsc from 'avsc';
import type { Metadata } from '../../src/index';

/** Flat record: 7 fields, 3 required PII strings + a nullable PII union, inline tags. */
export const customerSchema = {
  type: 'record',
  name: 'Customer',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'email', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'phone', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
    { name: 'country', type: 'string' },
    { name: 'loyaltyPoints', type: 'int' },
  ],
};

export const customers = [
  { id: 'c-1', name: 'Ada Lovelace', email: 'ada@example.com', ssn: '123-45-6789', phone: '+44 20 7946 0000', country: 'UK', loyaltyPoints: 120 },
  { id: 'c-2', name: 'Grace Hopper', email: 'grace@example.com', ssn: '987-65-4321', phone: null, country: 'US', loyaltyPoints: 0 },
  { id: 'c-3', name: '', email: 'ünïcødé ✓ 🚀', ssn: 'x'.repeat(300), phone: '', country: 'FR', loyaltyPoints: -5 },
];

/**
 * Nested shapes: a nested record (inline tag + metadata-tagged field), an array of records, a
 * `["null", record]` union, an array and a map of PII strings, a `["null","string"]` union,
 * a PII `bytes` field, and `ssn` fields tagged only through a `**.ssn` metadata pattern.
 */
export const personSchema = {
  type: 'record',
  name: 'Person',
  namespace: 'com.acme',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: 'string' },
    { name: 'nick', type: ['null', 'string'], default: null, 'confluent:tags': ['PII'] },
    { name: 'emails', type: { type: 'array', items: 'string' }, 'confluent:tags': ['PII'] },
    { name: 'attrs', type: { type: 'map', values: 'string' }, 'confluent:tags': ['PII'] },
    { name: 'photo', type: 'bytes', 'confluent:tags': ['PII'] },
    {
      name: 'address',
      type: {
        type: 'record',
        name: 'Address',
        fields: [
          { name: 'street', type: 'string', 'confluent:tags': ['PII'] },
          { name: 'city', type: 'string' },
          { name: 'zip', type: 'string' },
          { name: 'ssn', type: ['null', 'string'], default: null },
        ],
      },
    },
    { name: 'previous', type: { type: 'array', items: 'Address' } },
    { name: 'work', type: ['null', 'Address'], default: null },
    { name: 'note', type: 'string' },
  ],
};

/** Metadata tags: wildcard `**.ssn` (every ssn field) and a `?` pattern for Address.zip. */
export const personMetadata: Metadata = {
  tags: {
    '**.ssn': ['PII'],
    'com.acme.Address.z?p': ['PII'],
  },
};

export const persons = [
  {
    id: 1,
    name: 'Ada',
    ssn: '111-11-1111',
    nick: 'countess',
    emails: ['ada@example.com', 'ada@analytical.engine', ''],
    attrs: { hair: 'brown', 'favorite number': '42' },
    photo: Buffer.from([0, 1, 2, 3, 254, 255]),
    address: { street: '12 St James Sq', city: 'London', zip: 'SW1Y', ssn: '222-22-2222' },
    previous: [
      { street: 'Old Rd 1', city: 'Bath', zip: 'BA1', ssn: null },
      { street: 'Old Rd 2', city: 'Bristol', zip: 'BS1', ssn: '333-33-3333' },
    ],
    work: { street: 'Engine Lane', city: 'London', zip: 'EC1', ssn: null },
    note: 'not secret',
  },
  {
    id: 2,
    name: 'Grace',
    ssn: '444-44-4444',
    nick: null,
    emails: [],
    attrs: {},
    photo: Buffer.alloc(0),
    address: { street: 'Navy Yard', city: 'Arlington', zip: '22202', ssn: null },
    previous: [],
    work: null,
    note: 'also not secret',
  },
];

/** Decodes a framed Avro payload with plain avsc (no decryption): what is on the wire. */
export function rawDecode(schema: object, bytes: Buffer): unknown {
  return avsc.Type.forSchema(schema as avsc.Schema).fromBuffer(bytes.subarray(5));
}

/**
 * The leaf paths where `wire` differs from `plain` (i.e. the encrypted leaves), sorted. Used to
 * check both implementations select exactly the same fields.
 */
export function encryptedPaths(plain: unknown, wire: unknown, path = ''): string[] {
  if (Buffer.isBuffer(plain) || typeof plain !== 'object' || plain === null) {
    if (Buffer.isBuffer(plain) && Buffer.isBuffer(wire)) return plain.equals(wire) ? [] : [path];
    return plain === wire ? [] : [path];
  }
  const out: string[] = [];
  if (Array.isArray(plain)) {
    plain.forEach((v, i) => out.push(...encryptedPaths(v, (wire as unknown[])[i], `${path}[${i}]`)));
  } else {
    for (const [k, v] of Object.entries(plain as Record<string, unknown>)) {
      out.push(...encryptedPaths(v, (wire as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
    }
  }
  return out.sort();
}

/** Plain-object copy (avsc record instances → objects) for deep comparisons. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? { $bytes: v.data } : v)));
}

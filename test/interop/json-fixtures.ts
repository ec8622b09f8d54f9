/**
 * JSON Schema fixtures for the interop tests: a nested Person schema (draft-07: definitions,
 * $ref, type arrays, arrays, allOf/oneOf/anyOf, inline and metadata tags), a 2020-12 schema with
 * $defs and a schema reference, and helpers to drive Confluent's JSON serdes next to ours.
 */
import {
  JsonDeserializer as CJsonDeserializer,
  JsonSerializer as CJsonSerializer,
  SerdeType,
  type JsonDeserializerConfig,
  type JsonSerializerConfig,
} from '@confluentinc/schemaregistry';
import {
  JsonDeserializer,
  JsonSerializer,
  type JsonDeserializerOptions,
  type JsonSerializerOptions,
  type Metadata,
  type RuleSet,
  type SchemaInfo,
} from '../../src/index';
import { SECRET, type ConfluentSide, type OurSide } from './helpers';

export const personJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Person',
  type: 'object',
  properties: {
    name: { type: 'string', 'confluent:tags': ['PII'] },
    age: { type: 'integer' },
    nick: { type: ['string', 'null'], 'confluent:tags': ['PII'] },
    emails: { type: 'array', items: { type: 'string' }, 'confluent:tags': ['PII'] },
    address: { $ref: '#/definitions/Address' },
    previous: { type: 'array', items: { $ref: '#/definitions/Address' } },
    contact: { oneOf: [{ type: 'null' }, { $ref: '#/definitions/Phone' }] },
    note: { allOf: [{ $ref: '#/definitions/Note' }] },
    alias: { anyOf: [{ type: 'string', 'confluent:tags': ['PII'] }, { type: 'integer' }], 'confluent:tags': ['PII'] },
    ssn: { type: 'string' },
    public: { type: 'object', properties: { motto: { type: 'string' } } },
  },
  required: ['name'],
  definitions: {
    Address: {
      type: 'object',
      properties: { street: { type: 'string', 'confluent:tags': ['PII'] }, city: { type: 'string' }, ssn: { type: 'string' } },
    },
    Phone: { type: 'object', properties: { number: { type: 'string', 'confluent:tags': ['PII'] }, kind: { type: 'string' } } },
    Note: { type: 'object', properties: { text: { type: 'string', 'confluent:tags': ['PII'] } } },
  },
};

/**
 * The Person schema with tags on properties that cannot be encrypted (an object, an integer):
 * Confluent writes them in clear; kafka-csfle reads them and refuses to produce them.
 */
export const personJsonSchemaUnencryptableTags = {
  ...personJsonSchema,
  properties: {
    ...personJsonSchema.properties,
    age: { type: 'integer', 'confluent:tags': ['PII'] },
    public: { type: 'object', properties: { motto: { type: 'string' } }, 'confluent:tags': ['PII'] },
  },
};

/** `**.ssn` selects `$.ssn`, `$.address.ssn` and the items of `$.previous`. */
export const personJsonMetadata: Metadata = { tags: { '**.ssn': ['PII'] } };

export const personRecords: Record<string, unknown>[] = [
  {
    name: 'Ada',
    age: 36,
    nick: 'ada',
    emails: ['ada@example.com', 'ada@work.example'],
    address: { street: '1 Main St', city: 'London', ssn: '111-22-3333' },
    previous: [{ street: '2 Old Rd', city: 'Bath' }, { city: 'York', ssn: '999' }],
    contact: { number: '+44 1234', kind: 'home' },
    note: { text: 'likes engines' },
    alias: 'Countess',
    ssn: '123-45-6789',
    public: { motto: 'Analyse' },
  },
  { name: 'Bob', nick: null, emails: [], contact: null, alias: 'B', ssn: '' },
  { name: 'Ünïcødé ✓', address: { city: 'Paris' } },
];

/** Paths (dotted, [i] for items) whose string values differ between a plaintext and an encrypted record. */
export function changedStrings(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'string') return typeof b === 'string' && a !== b ? [path] : [];
  if (Array.isArray(a)) return a.flatMap((x, i) => changedStrings(x, (b as unknown[])[i], `${path}[${i}]`));
  if (a !== null && typeof a === 'object') {
    return Object.keys(a)
      .sort()
      .flatMap((k) => changedStrings((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [];
}

/** The JSON body of a framed record (no decryption). */
export function jsonBody(bytes: Buffer): Record<string, unknown> {
  return JSON.parse(bytes.subarray(5).toString('utf8')) as Record<string, unknown>;
}

export function jsonInfo(schema: object, ruleSet: RuleSet, metadata?: Metadata, references?: SchemaInfo['references']): SchemaInfo {
  return {
    schemaType: 'JSON',
    schema: JSON.stringify(schema),
    ruleSet,
    ...(metadata ? { metadata } : {}),
    ...(references ? { references } : {}),
  };
}

export function confluentJsonSerializer(side: ConfluentSide, conf: JsonSerializerConfig = {}): CJsonSerializer {
  return new CJsonSerializer(side.client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false, validate: true, ruleConfig: { secret: SECRET }, ...conf }, side.rules);
}

export function confluentJsonDeserializer(side: ConfluentSide, conf: JsonDeserializerConfig = {}): CJsonDeserializer {
  return new CJsonDeserializer(side.client, SerdeType.VALUE, { ruleConfig: { secret: SECRET }, ...conf }, side.rules);
}

export function ourJsonSerializer(side: OurSide, extra: Partial<JsonSerializerOptions> = {}): JsonSerializer {
  return new JsonSerializer({ schemaRegistry: side.schemas, dekRegistry: side.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
}

export function ourJsonDeserializer(side: OurSide, extra: Partial<JsonDeserializerOptions> = {}): JsonDeserializer {
  return new JsonDeserializer({ schemaRegistry: side.schemas, dekRegistry: side.deks, kms: { 'local-kms': { secret: SECRET } }, ...extra });
}

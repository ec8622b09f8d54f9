/**
 * What the bench runs: one Customer record shape, one rule set, one interface per implementation.
 */
import type { DekAlgorithm, RuleSet } from '../../src/index';

export const TOPIC = 'customers';
export const SUBJECT = `${TOPIC}-value`;
export const SECRET = 'bench-secret';

/** 7 fields, 3 PII strings with inline tags. */
export const customerSchema = {
  type: 'record',
  name: 'Customer',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'email', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'country', type: 'string' },
    { name: 'loyaltyPoints', type: 'int' },
    { name: 'active', type: 'boolean' },
  ],
};

export const customerRecord = {
  id: 'cust-000042',
  name: 'Ada Lovelace',
  email: 'ada.lovelace@example.com',
  ssn: '123-45-6789',
  country: 'GB',
  loyaltyPoints: 1815,
  active: true,
};

export const PII_FIELDS = ['name', 'email', 'ssn'] as const;

export function ruleSet(algorithm: DekAlgorithm): RuleSet {
  return {
    domainRules: [
      {
        name: 'encrypt-pii',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT',
        tags: ['PII'],
        params: {
          'encrypt.kek.name': 'bench-kek',
          'encrypt.kms.type': 'local-kms',
          'encrypt.kms.key.id': 'bench-key',
          'encrypt.dek.algorithm': algorithm,
        },
        onFailure: 'ERROR,NONE',
      },
    ],
  };
}

/** The schema formats benchmarked. */
export type Format = 'avro' | 'json' | 'protobuf';
export const FORMATS: readonly Format[] = ['avro', 'json', 'protobuf'];

/** The same Customer as JSON Schema. */
export const customerJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Customer',
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string', 'confluent:tags': ['PII'] },
    email: { type: 'string', 'confluent:tags': ['PII'] },
    ssn: { type: 'string', 'confluent:tags': ['PII'] },
    country: { type: 'string' },
    loyaltyPoints: { type: 'integer' },
    active: { type: 'boolean' },
  },
  required: ['id', 'name', 'email', 'ssn', 'country', 'loyaltyPoints', 'active'],
};

/** The same Customer as Protobuf. */
export const customerProto = `syntax = "proto3";
package com.example;
import "confluent/meta.proto";

message Customer {
  string id = 1;
  string name = 2 [(confluent.field_meta).tags = "PII"];
  string email = 3 [(confluent.field_meta).tags = "PII"];
  string ssn = 4 [(confluent.field_meta).tags = "PII"];
  string country = 5;
  int32 loyaltyPoints = 6;
  bool active = 7;
}
`;

export function schemaInfo(algorithm: DekAlgorithm, format: Format = 'avro') {
  switch (format) {
    case 'avro':
      return { schemaType: 'AVRO' as const, schema: JSON.stringify(customerSchema), ruleSet: ruleSet(algorithm) };
    case 'json':
      return { schemaType: 'JSON' as const, schema: JSON.stringify(customerJsonSchema), ruleSet: ruleSet(algorithm) };
    case 'protobuf':
      return { schemaType: 'PROTOBUF' as const, schema: customerProto, ruleSet: ruleSet(algorithm) };
  }
}

export interface Impl {
  serialize(topic: string, value: Record<string, unknown>): Promise<Buffer>;
  deserialize(topic: string, bytes: Buffer): Promise<unknown>;
  close?(): Promise<void>;
}

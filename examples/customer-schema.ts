/**
 * The example's data: an Avro `Customer` whose PII fields carry the `PII` tag, the rule set
 * that encrypts every PII-tagged field, and a few sample customers.
 */
import type { RuleSet } from '../src/index';

/** Avro schema. `"confluent:tags": ["PII"]` marks the fields the ENCRYPT rule selects. */
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

/** TypeScript view of a Customer record. */
export interface Customer {
  id: string;
  name: string;
  email: string;
  ssn: string;
  phone: string | null;
  country: string;
  loyaltyPoints: number;
}

/**
 * Encrypt every field tagged PII with a DEK wrapped by the KEK `kekName` (created in the DEK
 * registry on first use). `onFailure: 'ERROR,NONE'`: a produce fails if it cannot encrypt; a
 * consumer that cannot decrypt gets the record with the PII fields still encrypted.
 */
export function customerRuleSet(kekName: string, kmsType: string, kmsKeyId: string): RuleSet {
  return {
    domainRules: [
      {
        name: 'encrypt-pii',
        kind: 'TRANSFORM',
        mode: 'WRITEREAD',
        type: 'ENCRYPT',
        tags: ['PII'],
        params: {
          'encrypt.kek.name': kekName,
          'encrypt.kms.type': kmsType,
          'encrypt.kms.key.id': kmsKeyId,
        },
        onFailure: 'ERROR,NONE',
      },
    ],
  };
}

/** Sample records sent by examples/producer.ts. */
export const sampleCustomers: Customer[] = [
  { id: 'c-001', name: 'Ada Lovelace', email: 'ada@example.com', ssn: '123-45-6789', phone: '+44 20 7946 0001', country: 'GB', loyaltyPoints: 120 },
  { id: 'c-002', name: 'Alan Turing', email: 'alan@example.com', ssn: '987-65-4321', phone: null, country: 'GB', loyaltyPoints: 75 },
  { id: 'c-003', name: 'Grace Hopper', email: 'grace@example.com', ssn: '555-12-3456', phone: '+1 202 555 0143', country: 'US', loyaltyPoints: 310 },
  { id: 'c-004', name: 'Katherine Johnson', email: 'katherine@example.com', ssn: '222-33-4444', phone: '+1 757 555 0199', country: 'US', loyaltyPoints: 42 },
  { id: 'c-005', name: 'Hedy Lamarr', email: 'hedy@example.com', ssn: '777-88-9999', phone: null, country: 'AT', loyaltyPoints: 0 },
];

/** The PII values of a customer (what must never appear in the topic in plaintext). */
export function piiValues(c: Customer): string[] {
  return [c.name, c.email, c.ssn, ...(c.phone === null ? [] : [c.phone])];
}

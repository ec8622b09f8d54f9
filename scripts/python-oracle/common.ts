/** Shared by the Python-oracle steps: the schemas, the rule set, the records. */
export const SECRET = 'python-oracle-secret';
export const TOPIC = 'pyoracle';
export const ADDRESS_PROTO = `syntax = "proto3";
package common.geo;
message Address { string street = 1; string city = 2; }
`;
/** Tags come from metadata: AxonOps' serialized form (what Confluent's Python client reads) drops field options. */
export const PERSON_PROTO = `syntax = "proto3";
package x.v1;
import "common/address.proto";
message Person {
  string name = 1;
  int32 age = 2;
  repeated string emails = 3;
  common.geo.Address home = 5;
  repeated common.geo.Address previous = 6;
  map<string, common.geo.Address> places = 7;
  oneof contact { string phone = 8; Pager pager = 9; }
  bytes photo = 10;
  Person manager = 11;
  message Pager { string number = 1; }
}
`;
export const METADATA = {
  tags: {
    'x.v1.Person.name': ['PII'],
    'x.v1.Person.emails': ['PII'],
    'common.geo.Address.street': ['PII'],
    'x.v1.Person.phone': ['PII'],
    'x.v1.Person.Pager.number': ['PII'],
    'x.v1.Person.photo': ['PII'],
  },
};
export function ruleSet(algorithm: string) {
  return {
    domainRules: [
      {
        name: 'encrypt-pii',
        kind: 'TRANSFORM' as const,
        mode: 'WRITEREAD' as const,
        type: 'ENCRYPT',
        tags: ['PII'],
        params: { 'encrypt.kek.name': `pyoracle-${algorithm}`, 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'k1', 'encrypt.dek.algorithm': algorithm },
        onFailure: 'ERROR,ERROR',
      },
    ],
  };
}
/** What we write: every kind of place a tagged field can sit. Plaintexts must not appear on the wire. */
export const RECORD = {
  name: 'Ada Lovelace',
  age: 36,
  emails: ['ada@example.com', 'countess@example.org'],
  home: { street: '1 Main St', city: 'London' },
  previous: [{ street: '2 Old Rd', city: 'Bath' }],
  places: { work: { street: '3 Lab Ln', city: 'Oxford' } },
  contact: { case: 'pager', value: { number: 'P-12345' } },
  photo: new Uint8Array([1, 2, 3]),
  manager: { name: 'Charles Babbage', contact: { case: 'phone', value: '+44 1' } },
};
export const PLAINTEXTS = ['Ada Lovelace', 'ada@example.com', '1 Main St', '2 Old Rd', '3 Lab Ln', 'P-12345', 'Charles Babbage', '+44 1'];

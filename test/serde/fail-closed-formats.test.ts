/**
 * JSON Schema and Protobuf through the public API: a tag on a field that cannot be encrypted
 * fails produce at schema compile time (UNSUPPORTED_FIELD_TYPE naming the field path and the
 * rule), a consumer reads such records in clear with one warning; Protobuf plain-object records
 * with keys that are no field are refused instead of silently dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  CsfleError,
  frame,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  type RuleSet,
} from '../../src/index';
import { csfleRejectionWithout } from '../helpers/csfle-rejection';
import { encryptRuleSet, SECRET } from '../helpers/fixtures';

const kms = { 'local-kms': { secret: SECRET } };
const rules = (): RuleSet => encryptRuleSet({ 'encrypt.kms.type': 'local-kms' });
const PII = { 'confluent:tags': ['PII'] };

function recorder() {
  const warnings: { message: string; context: unknown }[] = [];
  return { warnings, logger: { warn: (message: string, context?: unknown) => void warnings.push({ message, context }) } };
}

const failure = (p: Promise<unknown>, secrets: string[] = []): Promise<CsfleError> => csfleRejectionWithout(p, [...secrets, SECRET]);

describe('JSON Schema: fail closed on a tag over a property that cannot be encrypted', () => {
  const defs = {
    Obj: { type: 'object', properties: { s: { type: 'string' } } },
    Num: { type: 'number' },
  };
  const cases: [string, object, unknown][] = [
    ['integer', { type: 'integer' }, 5],
    ['number', { type: 'number' }, 1.5],
    ['boolean', { type: 'boolean' }, true],
    ['object with properties', { type: 'object', properties: { s: { type: 'string' } } }, { s: 'hidden-1' }],
    ['object as map', { type: 'object', additionalProperties: { type: 'string' } }, { k: 'hidden-2' }],
    ['enum of strings', { type: 'string', enum: ['A', 'B'] }, 'A'],
    ['array of integers', { type: 'array', items: { type: 'integer' } }, [1, 2]],
    ['array of objects', { type: 'array', items: { $ref: '#/definitions/Obj' } }, [{ s: 'hidden-3' }]],
    ['$ref to an object', { $ref: '#/definitions/Obj' }, { s: 'hidden-4' }],
    ['allOf [$ref object]', { allOf: [{ $ref: '#/definitions/Obj' }] }, { s: 'hidden-5' }],
    ['oneOf [integer, $ref number]', { oneOf: [{ type: 'integer' }, { $ref: '#/definitions/Num' }] }, 3],
    ['anyOf [object, null]', { anyOf: [{ $ref: '#/definitions/Obj' }, { type: 'null' }] }, null],
    ['["integer", "null"]', { type: ['integer', 'null'] }, null],
  ];
  it.each(cases)('tagged %s: UNSUPPORTED_FIELD_TYPE at schema compile time', async (_what, prop, value) => {
    const schema = { type: 'object', definitions: defs, properties: { x: { ...prop, ...PII }, s: { type: 'string', ...PII } } };
    const ser = new JsonSerializer({
      schemaRegistry: new InMemorySchemaRegistry(),
      dekRegistry: new InMemoryDekRegistry(),
      kms,
      schema: { schemaType: 'JSON', schema: JSON.stringify(schema), ruleSet: rules() },
    });
    const e = await failure(ser.schemaId('fc'));
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context).toMatchObject({ fieldPath: '$.x', ruleName: 'encrypt-pii', subject: 'fc-value' });
    expect(e.message).toContain("rule 'encrypt-pii'");
    const e2 = await failure(ser.serialize('fc', { x: value, s: 'hidden-s' }), ['hidden-1', 'hidden-2', 'hidden-3', 'hidden-4', 'hidden-5', 'hidden-s']);
    expect(e2.code).toBe('UNSUPPORTED_FIELD_TYPE');
  });

  it('a property allowing string and other types encrypts its strings and refuses its other values', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const dekRegistry = new InMemoryDekRegistry();
    const schema = {
      type: 'object',
      properties: {
        a: { type: ['string', 'integer', 'null'], ...PII },
        b: { anyOf: [{ type: 'string' }, { type: 'object', properties: { s: { type: 'string' } } }], ...PII },
      },
    };
    const ser = new JsonSerializer({ schemaRegistry, dekRegistry, kms, schema: { schemaType: 'JSON', schema: JSON.stringify(schema), ruleSet: rules() } });
    const bytes = await ser.serialize('mixed', { a: 'secret-a', b: 'secret-b' });
    expect(bytes.includes(Buffer.from('secret-a'))).toBe(false);
    expect(bytes.includes(Buffer.from('secret-b'))).toBe(false);
    expect(await new JsonDeserializer({ schemaRegistry, dekRegistry, kms }).deserialize('mixed', bytes)).toEqual({ a: 'secret-a', b: 'secret-b' });
    expect(await ser.serialize('mixed', { a: null })).toBeInstanceOf(Buffer);
    const e = await failure(ser.serialize('mixed', { a: 42 }));
    expect(e).toMatchObject({ code: 'UNSUPPORTED_FIELD_TYPE', context: { fieldPath: '$.a' } });
    const e2 = await failure(ser.serialize('mixed', { b: { s: 'inner-secret' } }), ['inner-secret']);
    expect(e2).toMatchObject({ code: 'UNSUPPORTED_FIELD_TYPE', context: { fieldPath: '$.b' } });
  });

  it('a consumer reads records whose tagged object/number properties came in clear, with one warning', async () => {
    const schemaRegistry = new InMemorySchemaRegistry();
    const schema = { type: 'object', properties: { o: { type: 'object', properties: { s: { type: 'string' } }, ...PII }, n: { type: 'number', ...PII } } };
    const id = await schemaRegistry.register('clear-value', { schemaType: 'JSON', schema: JSON.stringify(schema), ruleSet: rules() });
    const value = { o: { s: 'visible' }, n: 7 };
    const bytes = frame(id, Buffer.from(JSON.stringify(value)));
    const { warnings, logger } = recorder();
    const deser = new JsonDeserializer({ schemaRegistry, dekRegistry: new InMemoryDekRegistry(), kms, logger });
    for (let i = 0; i < 10; i++) expect(await deser.deserialize('clear', bytes)).toEqual(value);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('$.o, $.n');
    expect(warnings[0]!.context).toMatchObject({ ruleName: 'encrypt-pii', subject: 'clear-value' });
    expect(JSON.stringify(warnings)).not.toContain('visible');
  });
});

const proto = (body: string, imports = '') => `syntax = "proto3"; package fc; import "confluent/meta.proto"; ${imports}
message Inner { string s = 1; }
enum Color { RED = 0; BLUE = 1; }
message M { ${body} string t = 99 [(confluent.field_meta).tags = "PII"]; }`;
const TAG = '[(confluent.field_meta).tags = "PII"]';

function protoSerde(schema: string, extra: object = {}) {
  const schemaRegistry = new InMemorySchemaRegistry();
  const dekRegistry = new InMemoryDekRegistry();
  const info = { schemaType: 'PROTOBUF' as const, schema, ruleSet: rules() };
  return {
    schemaRegistry,
    ser: new ProtobufSerializer({ schemaRegistry, dekRegistry, kms, schema: info, messageType: 'fc.M', ...extra }),
    deser: (logger?: { warn: (m: string, c?: unknown) => void }) => new ProtobufDeserializer({ schemaRegistry, dekRegistry, kms, ...(logger ? { logger } : {}) }),
  };
}

describe('Protobuf: fail closed on a tag over a field that cannot be encrypted', () => {
  const cases: [string, string, string][] = [
    ['message', `Inner x = 1 ${TAG};`, 'message fc.Inner'],
    ['enum', `Color x = 1 ${TAG};`, 'enum'],
    ['int32', `int32 x = 1 ${TAG};`, 'int32'],
    ['bool', `bool x = 1 ${TAG};`, 'bool'],
    ['double', `double x = 1 ${TAG};`, 'double'],
    ['repeated message', `repeated Inner x = 1 ${TAG};`, 'message fc.Inner'],
    ['repeated int64', `repeated int64 x = 1 ${TAG};`, 'int64'],
    ['map of messages', `map<string, Inner> x = 1 ${TAG};`, 'message fc.Inner'],
    ['map of enums', `map<string, Color> x = 1 ${TAG};`, 'enum'],
    ['oneof member message', `oneof o { Inner x = 1 ${TAG}; string y = 2; }`, 'message fc.Inner'],
    ['wrapper (StringValue)', `google.protobuf.StringValue x = 1 ${TAG};`, 'message google.protobuf.StringValue'],
  ];
  it.each(cases)('tagged %s: UNSUPPORTED_FIELD_TYPE at schema compile time', async (_what, body, typeName) => {
    const { ser } = protoSerde(proto(body, 'import "google/protobuf/wrappers.proto";'));
    const e = await failure(ser.schemaId('fc'));
    expect(e.code).toBe('UNSUPPORTED_FIELD_TYPE');
    expect(e.context).toMatchObject({ fieldPath: 'fc.M.x', ruleName: 'encrypt-pii', subject: 'fc-value' });
    expect(e.message).toContain(`Protobuf ${typeName}`);
    expect(e.message).toContain("rule 'encrypt-pii'");
    expect((await failure(ser.serialize('fc', { t: 'hidden' }), ['hidden'])).code).toBe('UNSUPPORTED_FIELD_TYPE');
  });

  it('a consumer reads records whose tagged message/int fields came in clear, with one warning', async () => {
    const schema = proto(`Inner x = 1 ${TAG}; int32 n = 2 ${TAG};`);
    const { schemaRegistry, deser } = protoSerde(schema);
    const id = await schemaRegistry.register('clear-value', { schemaType: 'PROTOBUF', schema, ruleSet: rules() });
    // x = Inner{ s: "visible" }, n = 7, written in clear (as Confluent's clients do)
    const body = Buffer.from([0x0a, 0x09, 0x0a, 0x07, ...Buffer.from('visible'), 0x10, 0x07]);
    const bytes = frame(id, Buffer.concat([Buffer.from([2, 2]), body])); // message indexes [1] = fc.M (zigzag varints)
    const { warnings, logger } = recorder();
    const d = deser(logger);
    for (let i = 0; i < 10; i++) {
      const out = (await d.deserialize('clear', bytes)) as { x: { s: string }; n: number };
      expect(out.x.s).toBe('visible');
      expect(out.n).toBe(7);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('fc.M.x, fc.M.n');
    expect(JSON.stringify(warnings)).not.toContain('visible');
  });
});

describe('Protobuf plain-object records: keys that are no field are refused, not dropped', () => {
  const schema = `syntax = "proto3"; package fc; import "confluent/meta.proto";
message Addr { string street_name = 1 [(confluent.field_meta).tags = "PII"]; }
message M {
  string first_name = 1 [(confluent.field_meta).tags = "PII"];
  Addr home = 2;
  repeated Addr previous = 3;
  map<string, Addr> places = 4;
  oneof contact { string phone = 5 [(confluent.field_meta).tags = "PII"]; Addr postal = 6; }
}`;

  it('lowerCamelCase and .proto names are both accepted, at every level, and encrypted', async () => {
    const { ser, deser } = protoSerde(schema);
    const bytes = await ser.serialize('keys', {
      first_name: 'Ada',
      home: { street_name: 'Main St' },
      previous: [{ streetName: 'Old Rd' }],
      places: { work: { street_name: 'Lab Ln' } },
      contact: { case: 'postal', value: { street_name: 'PO Box' } },
    });
    for (const s of ['Ada', 'Main St', 'Old Rd', 'Lab Ln', 'PO Box']) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    const out = (await deser().deserialize('keys', bytes)) as Record<string, unknown>;
    expect(out).toMatchObject({
      firstName: 'Ada',
      home: { streetName: 'Main St' },
      previous: [{ streetName: 'Old Rd' }],
      places: { work: { streetName: 'Lab Ln' } },
      contact: { case: 'postal', value: { streetName: 'PO Box' } },
    });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['top-level typo', { firstName: 'Ada', fristName: 'x' }, 'M.fristName'],
    ['nested message', { home: { street: 'Main St' } }, 'M.home.street'],
    ['repeated message', { previous: [{ streetName: 'a' }, { city: 'b' }] }, 'M.previous[1].city'],
    ['map value', { places: { work: { zip: '1' } } }, 'M.places[…].zip'],
    ['oneof value', { contact: { case: 'postal', value: { nope: 1 } } }, 'M.contact.postal.nope'],
    ['oneof member as a key', { phone: '+44' }, "oneof 'contact'"],
    ['unknown oneof case', { contact: { case: 'fax', value: '1' } }, 'Case fax of M.contact'],
    ['both names of one field', { firstName: 'Ada', first_name: 'Ada' }, 'name the same Protobuf field'],
  ];
  it.each(bad)('%s: SERIALIZATION_FAILED naming the key path, no value', async (_what, value, where) => {
    const { ser } = protoSerde(schema);
    const e = await failure(ser.serialize('keys', value), ['Ada', 'Main St', '+44']);
    expect(e.code).toBe('SERIALIZATION_FAILED');
    expect(e.message).toContain(where);
  });
});

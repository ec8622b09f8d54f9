import * as avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { compileFieldPlan } from '../../src/avro/plan';
import { compileTagPattern, inlineTags, TagResolver } from '../../src/avro/tags';

describe('metadata tag patterns', () => {
  it.each([
    ['**.ssn', 'com.acme.User.ssn', true],
    ['**.ssn', '$.ssn', true],
    ['User.ssn', 'com.acme.User.ssn', false],
    ['*.ssn', 'User.ssn', true],
    ['*.ssn', 'com.acme.User.ssn', false],
    ['com.acme.User.*', 'com.acme.User.ssn', true],
    ['com.**', 'com.acme.User.ssn', true],
    ['com.acme.?ser.ssn', 'com.acme.User.ssn', true],
    ['com.acme.?ser.ssn', 'com.acme.Users.ssn', false],
    ['**.*', 'a.b.c', true],
    ['com.acme.User.ss', 'com.acme.User.ssn', false],
    ['com+acme.x', 'com+acme.x', true],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(compileTagPattern(pattern).test(name)).toBe(expected);
  });
});

describe('inline tags and plans', () => {
  const schema = {
    type: 'record',
    name: 'Outer',
    namespace: 'a.b',
    fields: [
      { name: 'x', type: 'string', 'confluent:tags': ['PII'] },
      { name: 'inner', type: { type: 'record', name: 'Inner', namespace: 'c', fields: [{ name: 'y', type: 'string', 'confluent:tags': ['PII', 'GDPR'] }] } },
      { name: 'third', type: { type: 'record', name: 'Third', fields: [{ name: 'z', type: 'bytes', 'confluent:tags': ['GDPR'] }] } },
      { name: 'n', type: 'int' },
    ],
  };

  it('collects inline tags under record full names with Avro namespace rules', () => {
    const tags = inlineTags([schema]);
    expect([...tags.keys()].sort()).toEqual(['a.b.Outer.x', 'a.b.Third.z', 'c.Inner.y']);
    expect([...tags.get('c.Inner.y')!]).toEqual(['PII', 'GDPR']);
  });

  it('compiles a plan of just the selected paths, and it does not mutate its input', () => {
    const type = avsc.Type.forSchema(schema as avsc.Schema);
    const resolver = new TagResolver(inlineTags([schema]));
    const gdpr = compileFieldPlan(type, resolver, { ruleTags: ['GDPR'], direction: 'WRITE' });
    expect(gdpr.fieldPaths).toEqual(['c.Inner.y', 'a.b.Third.z']);
    const input = { x: 'x', inner: { y: 'y' }, third: { z: Buffer.from('z') }, n: 1 };
    const out = gdpr.transform!(input, (v) => (typeof v === 'string' ? `<${v}>` : Buffer.concat([Buffer.from('<'), v]))) as typeof input;
    expect(out).toEqual({ x: 'x', inner: { y: '<y>' }, third: { z: Buffer.from('<z') }, n: 1 });
    expect(input).toEqual({ x: 'x', inner: { y: 'y' }, third: { z: Buffer.from('z') }, n: 1 });
    expect(compileFieldPlan(type, resolver, { ruleTags: ['NONE'], direction: 'WRITE' }).transform).toBeUndefined();
  });

  it('handles recursive types', () => {
    const list = { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'string', 'confluent:tags': ['PII'] }, { name: 'next', type: ['null', 'Node'], default: null }] };
    const type = avsc.Type.forSchema(list as avsc.Schema);
    const plan = compileFieldPlan(type, new TagResolver(inlineTags([list])), { ruleTags: ['PII'], direction: 'WRITE' });
    const out = plan.transform!({ v: 'a', next: { v: 'b', next: null } }, (v) => `${String(v)}!`);
    expect(out).toEqual({ v: 'a!', next: { v: 'b!', next: null } });
  });
});

describe('plans keep every key', () => {
  it('a map key or field named __proto__ survives the transform', () => {
    const schema = { type: 'record', name: 'M', fields: [{ name: 'm', type: { type: 'map', values: 'string' }, 'confluent:tags': ['PII'] }] };
    const type = avsc.Type.forSchema(schema as avsc.Schema);
    const plan = compileFieldPlan(type, new TagResolver(inlineTags([schema])), { ruleTags: ['PII'], direction: 'WRITE' });
    const input = { m: JSON.parse('{"__proto__":"secret-value","a":"b"}') as Record<string, string> };
    const out = plan.transform!(input, (v) => `<${String(v)}>`) as typeof input;
    expect(Object.keys(out.m)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(out.m, '__proto__')?.value).toBe('<secret-value>');
    expect(Object.getPrototypeOf(out.m)).toBe(Object.prototype);
  });
});

/**
 * Parses JSON Schema text (with referenced schemas) into a resolvable document set and an `ajv`
 * validator compiled once per schema (draft-07/2019-09 by default, 2020-12 when `$schema` says
 * so). Sub-validators (for `oneOf` / `anyOf` branch choice) are compiled once, on first use.
 *
 * @packageDocumentation
 */
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import { SchemaRegistryError } from '../errors';
import type { NamedSchema, ParsedSchemaBase } from '../rules/schema-format';

/** A JSON Schema node (or a boolean schema). */
export type JsonNode = boolean | { readonly [keyword: string]: unknown };

/** Where a node sits: the document (ajv key) and its JSON pointer in it. */
export interface NodeLocation {
  readonly doc: string;
  readonly pointer: string;
  readonly node: JsonNode;
}

/** A parsed JSON Schema. */
export interface ParsedJsonSchema extends ParsedSchemaBase {
  /** The root schema. */
  readonly root: NodeLocation;
  /** Validates a whole record (plaintext). */
  readonly validate: ValidateFunction;
  /** Resolves a `$ref` found in document `doc`. Throws `SchemaRegistryError` if unresolvable. */
  resolveRef(doc: string, ref: string): NodeLocation;
  /** The validator of the subschema at a location (compiled once). */
  validatorAt(loc: NodeLocation): ValidateFunction;
}

/** The ajv key of the root schema when it has no `$id`. */
const ROOT_KEY = 'kafka-csfle-root.json';

const DRAFT_2020 = new Set(['http://json-schema.org/draft/2020-12/schema', 'https://json-schema.org/draft/2020-12/schema']);

function parseJson(text: string, what: string): JsonNode {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `${what} is not valid JSON`);
  }
  if (typeof json !== 'boolean' && (json === null || typeof json !== 'object' || Array.isArray(json))) {
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `${what} is not a JSON Schema (object or boolean)`);
  }
  return json as JsonNode;
}

/** Unescapes one JSON pointer segment. */
function unescapeSegment(s: string): string {
  return decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~');
}

function atPointer(node: JsonNode, pointer: string): JsonNode | undefined {
  if (pointer === '' || pointer === '/') return node;
  let cur: unknown = node;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const seg = unescapeSegment(raw);
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return typeof cur === 'boolean' || (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) ? (cur as JsonNode) : undefined;
}

function idOf(node: JsonNode): string | undefined {
  return typeof node === 'object' && typeof node['$id'] === 'string' ? (node['$id'] as string).replace(/#$/, '') : undefined;
}

/** Parses `schema` and its references (by reference name) and compiles its validator. */
export function parseJsonSchema(schema: string, references: readonly NamedSchema[] = []): ParsedJsonSchema {
  const root = parseJson(schema, 'The schema');
  const spec = typeof root === 'object' ? root['$schema'] : undefined;
  const options = { strict: false, logger: false as const, allErrors: false, validateSchema: false };
  const ajv = typeof spec === 'string' && DRAFT_2020.has(spec) ? new Ajv2020(options) : new Ajv2019(options);
  ajv.addKeyword('confluent:tags');
  const docs = new Map<string, JsonNode>();
  try {
    for (const ref of references) {
      const json = parseJson(ref.schema, `The referenced schema ${ref.name}`);
      docs.set(ref.name, json);
      ajv.addSchema(json as object, ref.name);
      const id = idOf(json);
      if (id !== undefined && id !== ref.name) docs.set(id, json);
    }
    const rootKey = idOf(root) ?? ROOT_KEY;
    docs.set(rootKey, root);
    if (rootKey !== ROOT_KEY) docs.set(ROOT_KEY, root);
    ajv.addSchema(root as object, ROOT_KEY);
    const validate = ajv.getSchema(ROOT_KEY)!;
    const subValidators = new Map<string, ValidateFunction>();
    return {
      root: { doc: ROOT_KEY, pointer: '', node: root },
      inlineTags: new Map(),
      recordFullName: typeof root === 'object' && typeof root['title'] === 'string' ? root['title'] : undefined,
      validate,
      resolveRef(doc, ref) {
        const hash = ref.indexOf('#');
        const base = hash < 0 ? ref : ref.slice(0, hash);
        const pointer = hash < 0 ? '' : ref.slice(hash + 1);
        const docKey = base === '' ? doc : base;
        const target = docs.get(docKey);
        const node = target === undefined ? undefined : atPointer(target, pointer);
        if (node === undefined) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `JSON Schema $ref ${ref} cannot be resolved`);
        return { doc: docKey === rootKey ? ROOT_KEY : docKey, pointer, node };
      },
      validatorAt(loc) {
        const key = `${loc.doc}#${loc.pointer}`;
        let fn = subValidators.get(key);
        if (!fn) {
          fn = ajv.compile({ $ref: key });
          subValidators.set(key, fn);
        }
        return fn;
      },
    };
  } catch (err) {
    if (err instanceof SchemaRegistryError) throw err;
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Invalid JSON Schema: ${(err as Error).message}`);
  }
}

/** The record name of a JSON Schema (its `title`), read without resolving references. */
export function jsonSchemaTitle(schema: string): string | undefined {
  try {
    const json = JSON.parse(schema) as unknown;
    return json !== null && typeof json === 'object' && typeof (json as Record<string, unknown>)['title'] === 'string'
      ? ((json as Record<string, unknown>)['title'] as string)
      : undefined;
  } catch {
    return undefined;
  }
}

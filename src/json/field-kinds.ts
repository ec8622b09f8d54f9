/**
 * What kinds of value a JSON Schema property can hold, seen as the plan sees it (and as
 * Confluent's clients do): through `$ref`, `allOf`/`oneOf`/`anyOf`, type arrays and `items`
 * (an array holds its items' kinds). A tagged property can be encrypted only when one of its
 * kinds is `string`; the others (object, integer, number, boolean, enum/const, untyped) are
 * written in clear by other clients and refused by ours (fail closed on produce).
 *
 * @packageDocumentation
 */
import type { JsonNode, NodeLocation, ParsedJsonSchema } from './schema';

type Obj = { readonly [keyword: string]: unknown };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The kind of one typed node: `string` is the only one a rule encrypts. */
function kindName(s: Obj): string | undefined {
  const type = s['type'];
  const hasProps = isPlainObject(s['properties']) && Object.keys(s['properties']).length > 0;
  if (type === undefined) return hasProps ? 'object' : undefined;
  if (s['const'] !== undefined || s['enum'] !== undefined) return 'enum';
  return typeof type === 'string' ? type : undefined;
}

/**
 * The kinds a property's values can take: `string`, `object`, `array` (of nothing typed),
 * `integer`, `number`, `boolean`, `null`, `enum`, or `untyped` (no type the plan can read).
 */
export function fieldKinds(parsed: ParsedJsonSchema, loc: NodeLocation): Set<string> {
  const out = new Set<string>();
  const seen = new Set<JsonNode>();
  const visit = (at: NodeLocation): void => {
    const s = at.node;
    if (typeof s !== 'object') {
      out.add('untyped');
      return;
    }
    if (seen.has(s)) return;
    seen.add(s);
    const type = s['type'];
    if (Array.isArray(type) && type.length > 0) {
      for (const t of type) visitNode(at, { ...s, type: t as unknown });
      return;
    }
    visitNode(at, s);
  };
  const sub = (at: NodeLocation, ...segments: (string | number)[]): NodeLocation => {
    let node: unknown = at.node;
    for (const x of segments) node = (node as Record<string, unknown>)[x];
    return { doc: at.doc, pointer: `${at.pointer}/${segments.join('/')}`, node: node as JsonNode };
  };
  const visitNode = (at: NodeLocation, s: Obj): void => {
    const combinator = (['allOf', 'oneOf', 'anyOf'] as const).find((k) => Array.isArray(s[k]) && (s[k] as unknown[]).length > 0);
    const hasItems = s['items'] !== undefined;
    if (hasItems) visit(sub(at, 'items'));
    if (combinator) {
      (s[combinator] as unknown[]).forEach((_, i) => visit(sub(at, combinator, i)));
      if (isPlainObject(s['properties']) && Object.keys(s['properties']).length > 0) out.add('object');
      return;
    }
    const ref = s['$ref'];
    if (typeof ref === 'string') {
      visit(parsed.resolveRef(at.doc, ref));
      return;
    }
    const kind = kindName(s);
    if (kind === 'array' && hasItems) return;
    if (kind !== undefined) out.add(kind);
    else if (!hasItems) out.add('untyped');
  };
  visit(loc);
  return out;
}

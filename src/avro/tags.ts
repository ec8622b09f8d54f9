/**
 * Field tags of an Avro schema: inline `confluent:tags` annotations and `metadata.tags` path
 * patterns (with `*`, `**` and `?` wildcards), keyed by field full name
 * (`<record full name>.<field name>`).
 *
 * @packageDocumentation
 */

/** Field full name → tags. */
export type FieldTags = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Collects inline `confluent:tags` from Avro schema JSON (one or several schemas, e.g. a schema
 * and its references). Record full names follow Avro namespace resolution.
 */
export function inlineTags(schemas: readonly unknown[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const seen = new Set<unknown>();
  const walk = (node: unknown, enclosingNs: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const branch of node) walk(branch, enclosingNs);
      return;
    }
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const s = node as Record<string, unknown>;
    const type = s['type'];
    if (type === 'record' || type === 'error') {
      const fullName = qualify(String(s['name']), s['namespace'] as string | undefined, enclosingNs);
      const ns = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
      for (const field of (s['fields'] as Record<string, unknown>[] | undefined) ?? []) {
        const tags = field['confluent:tags'];
        if (Array.isArray(tags) && tags.length > 0) {
          const key = `${fullName}.${String(field['name'])}`;
          const set = out.get(key) ?? new Set<string>();
          for (const t of tags) set.add(String(t));
          out.set(key, set);
        }
        walk(field['type'], ns);
      }
    } else if (type === 'array') {
      walk(s['items'], enclosingNs);
    } else if (type === 'map') {
      walk(s['values'], enclosingNs);
    } else if (type !== null && typeof type === 'object') {
      walk(type, enclosingNs);
    }
  };
  for (const schema of schemas) walk(schema, undefined);
  return out;
}

function qualify(name: string, namespace: string | undefined, enclosingNs: string | undefined): string {
  if (name.includes('.')) return name;
  const ns = namespace !== undefined ? namespace : enclosingNs;
  return ns ? `${ns}.${name}` : name;
}

/**
 * Compiles a metadata tag path pattern to a full-string regular expression:
 * `**` = any characters across segments, `*` = any characters within a segment,
 * `?` = one character within a segment; `**.*` is read as `**`.
 */
export function compileTagPattern(pattern: string): RegExp {
  const p = pattern.replace(/\*\*\.\*/g, '**');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        re += '.*';
        i++;
      } else {
        re += '[^.]*';
      }
    } else if (c === '?') {
      re += '[^.]';
    } else if ('.+{}()|^$\\'.includes(c)) {
      re += `\\${c}`;
    } else {
      re += c;
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * A resolver of field tags: inline tags ∪ tags of every metadata pattern matching the field
 * full name. Results are memoized (plans call it once per field at compile time).
 */
export class TagResolver {
  readonly #inline: Map<string, Set<string>>;
  readonly #patterns: { re: RegExp; tags: readonly string[] }[];

  constructor(inline: Map<string, Set<string>>, metadataTags: Readonly<Record<string, readonly string[]>> = {}) {
    this.#inline = inline;
    this.#patterns = Object.entries(metadataTags).map(([pattern, tags]) => ({ re: compileTagPattern(pattern), tags }));
  }

  /** Tags of the field with this full name. */
  tagsOf(fieldFullName: string): ReadonlySet<string> {
    const tags = new Set<string>(this.#inline.get(fieldFullName) ?? []);
    for (const { re, tags: t } of this.#patterns) {
      if (re.test(fieldFullName)) for (const tag of t) tags.add(tag);
    }
    return tags;
  }
}

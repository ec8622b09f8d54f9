/**
 * Inline field tags of an Avro schema (`confluent:tags` annotations), keyed by field full name
 * (`<record full name>.<field name>`). Metadata path patterns are matched by
 * {@link TagResolver} in `rules/tag-resolver.ts`, shared by all formats.
 *
 * @packageDocumentation
 */
export { compileTagPattern, TagResolver, type FieldTags } from '../rules/tag-resolver';

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

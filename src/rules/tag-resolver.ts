/**
 * Field tags from `metadata.tags` path patterns (with `*`, `**` and `?` wildcards) merged with a
 * schema's inline tags, keyed by field full name. The same matching serves every schema format:
 * only the shape of the full names differs (Avro `<record>.<field>`, JSON `$.<a>.<b>`, Protobuf
 * `<message>.<field>`).
 *
 * @packageDocumentation
 */

/** Field full name → tags. */
export type FieldTags = ReadonlyMap<string, ReadonlySet<string>>;

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
    } else if ('.+{}()|^$\\[]'.includes(c)) {
      re += `\\${c}`;
    } else {
      re += c;
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * A resolver of field tags: inline tags ∪ tags of every metadata pattern matching the field
 * full name. Plans call it once per field at compile time.
 */
export class TagResolver {
  readonly #inline: FieldTags;
  readonly #patterns: { re: RegExp; tags: readonly string[] }[];

  constructor(inline: FieldTags, metadataTags: Readonly<Record<string, readonly string[]>> = {}) {
    this.#inline = inline;
    this.#patterns = Object.entries(metadataTags).map(([pattern, tags]) => ({ re: compileTagPattern(pattern), tags }));
  }

  /** Tags of the field with this full name (inline tags `extra` of the field join in). */
  tagsOf(fieldFullName: string, extra?: Iterable<string>): ReadonlySet<string> {
    const tags = new Set<string>(this.#inline.get(fieldFullName) ?? []);
    if (extra) for (const t of extra) tags.add(t);
    for (const { re, tags: t } of this.#patterns) {
      if (re.test(fieldFullName)) for (const tag of t) tags.add(tag);
    }
    return tags;
  }

  /** True when a rule with `ruleTags` (empty = every field) selects the field. */
  selects(ruleTags: readonly string[], fieldFullName: string, extra?: Iterable<string>): boolean {
    if (ruleTags.length === 0) return true;
    const fieldTags = this.tagsOf(fieldFullName, extra);
    return ruleTags.some((t) => fieldTags.has(t));
  }
}

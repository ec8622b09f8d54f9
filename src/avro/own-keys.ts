/**
 * avsc types that keep special keys as own properties when decoding: avsc assigns map keys and
 * record fields with `obj[key] = value`, so a map key `__proto__` sets the object's prototype and
 * the entry is lost (and a record field named `__proto__` likewise). Installed with avsc's
 * `typeHook` by {@link parseAvroSchema}; other keys (`constructor`, `toString`...) already are
 * own properties.
 *
 * @packageDocumentation
 */
import * as avsc from 'avsc';
import { setOwn } from '../rules/schema-format';

/* eslint-disable @typescript-eslint/no-explicit-any */

interface Tap {
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

const AvscMapType = avsc.types.MapType as unknown as new (schema: unknown, opts: unknown) => avsc.Type;
const AvscRecordType = avsc.types.RecordType as unknown as new (schema: unknown, opts: unknown) => avsc.Type;

/** A map type whose decoder keeps every key, `__proto__` included, as an own property. */
class OwnKeysMapType extends AvscMapType {
  _read(tap: Tap): Record<string, unknown> {
    const values = (this as any).valuesType;
    const val: Record<string, unknown> = {};
    let n: number;
    while ((n = tap.readLong())) {
      if (n < 0) {
        n = -n;
        tap.skipLong(); // block size
      }
      while (n--) {
        const key = tap.readString();
        const v = values._read(tap);
        if (key === '__proto__') setOwn(val, key, v);
        else val[key] = v;
      }
    }
    return val;
  }
}

/** A record type (used only when a field is named `__proto__`) whose decoder sets own fields. */
class OwnFieldsRecordType extends AvscRecordType {
  _createReader(): (tap: Tap) => unknown {
    const fields = (this as any).fields as avsc.types.Field[];
    const proto = (this as any).recordConstructor.prototype as object;
    return (tap) => {
      const out = Object.create(proto) as Record<string, unknown>;
      for (const f of fields) setOwn(out, f.name, (f.type as any)._read(tap));
      return out;
    };
  }
}

/** avsc `typeHook` installing the own-key decoders. */
export function ownKeysTypeHook(schema: avsc.Schema, opts: avsc.ForSchemaOptions): avsc.Type | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const s = schema as { type?: unknown; fields?: unknown };
  if (s.type === 'map') return new OwnKeysMapType(schema, opts);
  if ((s.type === 'record' || s.type === 'error') && Array.isArray(s.fields) && s.fields.some((f) => (f as { name?: unknown })?.name === '__proto__')) {
    return new OwnFieldsRecordType(schema, opts);
  }
  return undefined;
}

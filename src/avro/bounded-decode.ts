/**
 * Bounded Avro decoding: before avsc decodes a payload, a walk compiled once per writer schema
 * checks every length and count against the bytes present, so no input can make the decoder
 * allocate or loop beyond what its size allows.
 *
 * avsc trusts what it reads: an array block count of 2^31 − 1 in an 11-byte record makes it
 * allocate until the heap is gone, a map count blocks the event loop. The walk here rejects such
 * input in time linear in its size, before any allocation:
 *
 * - every string/bytes length and fixed size ≤ the bytes left;
 * - every array/map block count × the smallest encoded size of one item ≤ the bytes left; items
 *   that take no byte at all (`null`, records of nulls) share a budget of
 *   {@link MAX_ZERO_WIDTH_ITEMS} per record;
 * - nesting of records, arrays and maps ≤ {@link MAX_NESTING_DEPTH};
 * - varints ≤ 10 bytes, union and enum indexes in range, no trailing bytes.
 *
 * @packageDocumentation
 */
import type * as avsc from 'avsc';
import { SerdeError } from '../errors';

/** Deepest nesting of records, arrays and maps a payload may have. */
export const MAX_NESTING_DEPTH = 128;
/** Most items taking zero bytes (e.g. array of `null`) one payload may hold. */
export const MAX_ZERO_WIDTH_ITEMS = 1_000_000;

/** Decodes a payload written with the schema; throws `DESERIALIZATION_FAILED` (never quoting data). */
export type BoundedDecode = (payload: Buffer) => unknown;

/** Thrown inside the walk; turned into a {@link SerdeError} at the top (no stack capture cost). */
class OutOfBounds {
  constructor(readonly reason: string) {}
}

/** Walks one value starting at {@link pos}; advances {@link pos}. */
type Check = (depth: number) => void;

// The walk is synchronous and never re-entered: module-level cursor, no allocation per value.
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let zeroWidthBudget = 0;

function fail(reason: string): never {
  throw new OutOfBounds(reason);
}

/** Reads a zig-zag varint (≤ 10 bytes) at {@link pos}. */
function readLong(): number {
  let b = buf[pos++];
  if (b === undefined) fail('truncated');
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let n = b & 0x7f;
  let k = 7;
  do {
    b = buf[pos++];
    if (b === undefined) fail('truncated');
    n |= (b & 0x7f) << k;
    k += 7;
  } while (b >= 0x80 && k < 28);
  if (b < 0x80) return (n >>> 1) ^ -(n & 1);
  let f = n >>> 0;
  let fk = 268435456; // 2 ** 28
  let bytes = 4;
  do {
    b = buf[pos++];
    if (b === undefined) fail('truncated');
    if (++bytes > 10) fail('varint longer than 10 bytes');
    f += (b & 0x7f) * fk;
    fk *= 128;
  } while (b >= 0x80);
  return f % 2 ? -(f + 1) / 2 : f / 2;
}

function skip(n: number): void {
  if (n < 0 || n > buf.length - pos) fail(`length exceeds the bytes left at offset ${pos}`);
  pos += n;
}

/** Reads an array/map block header; returns the item count (0 = end). */
function blockCount(minItemWidth: number): number {
  let n = readLong();
  if (n === 0) return 0;
  if (n < 0) {
    n = -n;
    const size = readLong();
    if (size < 0 || size > buf.length - pos) fail(`block size exceeds the bytes left at offset ${pos}`);
  }
  if (minItemWidth > 0) {
    if (n * minItemWidth > buf.length - pos) fail(`block count exceeds the bytes left at offset ${pos}`);
  } else if ((zeroWidthBudget -= n) < 0) {
    fail(`more than ${MAX_ZERO_WIDTH_ITEMS} zero-byte items`);
  }
  return n;
}

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The smallest number of bytes a value of `t` can encode to (recursion counted as 0). */
function minWidth(t: avsc.Type, seen: Set<avsc.Type> = new Set()): number {
  const u = ((t as any).underlyingType as avsc.Type | undefined) ?? t;
  switch (u.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (u as avsc.types.FixedType).size;
    case 'record':
    case 'error': {
      if (seen.has(u)) return 0;
      seen.add(u);
      let w = 0;
      for (const f of (u as avsc.types.RecordType).fields) w += minWidth(f.type, seen);
      seen.delete(u);
      return w;
    }
    default:
      return 1; // boolean, int, long, string, bytes, enum, union index, array/map end marker
  }
}

/** Compiles the bounds walk of `t`. */
function compileCheck(root: avsc.Type): Check {
  const compiled = new Map<avsc.Type, { check: Check | undefined }>();

  const compile = (t: avsc.Type): Check => {
    const slot = compiled.get(t);
    if (slot) return slot.check ?? ((d) => slot.check!(d)); // recursive type: late bound
    const holder: { check: Check | undefined } = { check: undefined };
    compiled.set(t, holder);
    holder.check = build(t);
    return holder.check;
  };

  const build = (t: avsc.Type): Check => {
    const underlying = (t as any).underlyingType as avsc.Type | undefined;
    if (underlying) return compile(underlying);
    switch (t.typeName) {
      case 'null':
        return () => {};
      case 'boolean':
        return () => skip(1);
      case 'int':
      case 'long':
        return () => {
          readLong();
        };
      case 'float':
        return () => skip(4);
      case 'double':
        return () => skip(8);
      case 'string':
      case 'bytes':
        return () => skip(readLong());
      case 'fixed': {
        const size = (t as avsc.types.FixedType).size;
        return () => skip(size);
      }
      case 'enum': {
        const count = (t as avsc.types.EnumType).symbols.length;
        return () => {
          const i = readLong();
          if (i < 0 || i >= count) fail(`enum index out of range at offset ${pos}`);
        };
      }
      case 'union:unwrapped':
      case 'union:wrapped': {
        const branches = (t as avsc.types.UnwrappedUnionType).types.map((b) => compile(b));
        return (depth) => {
          const i = readLong();
          if (i < 0 || i >= branches.length) fail(`union index out of range at offset ${pos}`);
          branches[i]!(depth);
        };
      }
      case 'array': {
        const itemsType = (t as avsc.types.ArrayType).itemsType;
        const items = compile(itemsType);
        const width = minWidth(itemsType);
        return (depth) => {
          if (++depth > MAX_NESTING_DEPTH) fail(`nesting deeper than ${MAX_NESTING_DEPTH}`);
          let n: number;
          while ((n = blockCount(width))) while (n--) items(depth);
        };
      }
      case 'map': {
        const valuesType = (t as avsc.types.MapType).valuesType;
        const values = compile(valuesType);
        const width = 1 + minWidth(valuesType);
        return (depth) => {
          if (++depth > MAX_NESTING_DEPTH) fail(`nesting deeper than ${MAX_NESTING_DEPTH}`);
          let n: number;
          while ((n = blockCount(width))) {
            while (n--) {
              skip(readLong());
              values(depth);
            }
          }
        };
      }
      case 'record':
      case 'error': {
        const fields = (t as avsc.types.RecordType).fields.map((f) => compile(f.type));
        const n = fields.length;
        return (depth) => {
          if (++depth > MAX_NESTING_DEPTH) fail(`nesting deeper than ${MAX_NESTING_DEPTH}`);
          for (let i = 0; i < n; i++) fields[i]!(depth);
        };
      }
      default:
        throw new SerdeError('DESERIALIZATION_FAILED', `Unsupported Avro type ${t.typeName} in the writer schema`);
    }
  };

  return compile(root);
}

/**
 * The bounded decoder of a writer schema (compile it once per schema). Input out
 * of bounds, truncated, with trailing bytes or not decodable is rejected with
 * `DESERIALIZATION_FAILED` within time linear in its size; messages give offsets, never data.
 */
export function boundedDecoder(type: avsc.Type): BoundedDecode {
  const check = compileCheck(type);
  return (payload) => {
    buf = payload;
    pos = 0;
    zeroWidthBudget = MAX_ZERO_WIDTH_ITEMS;
    try {
      check(0);
      if (pos !== payload.length) fail(`${payload.length - pos} trailing bytes`);
    } catch (err) {
      if (err instanceof OutOfBounds) {
        throw new SerdeError('DESERIALIZATION_FAILED', `Payload does not decode with the writer schema: ${err.reason}`);
      }
      if (err instanceof RangeError) {
        throw new SerdeError('DESERIALIZATION_FAILED', 'Payload does not decode with the writer schema: nesting too deep');
      }
      throw err;
    } finally {
      buf = EMPTY;
    }
    try {
      return type.fromBuffer(payload);
    } catch {
      // avsc messages may quote decoded data: say only what failed.
      throw new SerdeError('DESERIALIZATION_FAILED', 'Payload does not decode with the writer schema (truncated or corrupted message?)');
    }
  };
}

const EMPTY = Buffer.alloc(0);

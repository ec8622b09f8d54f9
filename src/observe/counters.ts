/**
 * Counters as plain integers, one cell per attribute set, with a bound on the number of
 * attribute sets (cardinality): callers take a cell once (off the hot path) and add to
 * `cell.value` per event — no allocation, no lookup by string on the hot path.
 *
 * @packageDocumentation
 */

/** Metric attributes: names, versions, codes — never a record value. */
export type Attributes = Readonly<Record<string, string | number | boolean>>;

/** One counter value for one attribute set. Hot path: `cell.value += n`. */
export interface CounterCell {
  value: number;
  readonly attributes: Attributes;
}

/** Attributes of the cell that takes every attribute set past the limit (OpenTelemetry's convention). */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/** Default bound on distinct attribute sets per counter. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

/** The identity of an attribute set (attribute order as given by the caller). */
export function attributesKey(attributes: Attributes): string {
  let key = '';
  for (const name in attributes) key += `${name}\u0001${String(attributes[name])}\u0000`;
  return key;
}

/** A counter split by attribute set, bounded to `limit` sets (the rest add to one overflow cell). */
export class CounterTable {
  readonly #cells = new Map<string, CounterCell>();
  readonly #limit: number;
  #overflow: CounterCell | undefined;

  constructor(limit: number = DEFAULT_CARDINALITY_LIMIT) {
    this.#limit = Math.max(1, limit);
  }

  /** The cell of `attributes` (created on first use; the overflow cell once the table is full). */
  cell(attributes: Attributes): CounterCell {
    const key = attributesKey(attributes);
    let cell = this.#cells.get(key);
    if (cell) return cell;
    if (this.#cells.size >= this.#limit) {
      return (this.#overflow ??= { value: 0, attributes: OVERFLOW_ATTRIBUTES });
    }
    cell = { value: 0, attributes: Object.freeze({ ...attributes }) };
    this.#cells.set(key, cell);
    return cell;
  }

  /** Adds `n` to the cell of `attributes` (for events off the hot path). */
  add(attributes: Attributes, n = 1): void {
    this.cell(attributes).value += n;
  }

  /** Every cell with a count (the overflow cell last, when used). */
  *cells(): IterableIterator<CounterCell> {
    for (const cell of this.#cells.values()) if (cell.value !== 0) yield cell;
    if (this.#overflow && this.#overflow.value !== 0) yield this.#overflow;
  }

  /** Sum over every attribute set. */
  total(): number {
    let n = this.#overflow?.value ?? 0;
    for (const cell of this.#cells.values()) n += cell.value;
    return n;
  }

  /** Sum over the cells whose attributes include every entry of `filter`. */
  sum(filter: Attributes): number {
    let n = 0;
    for (const cell of this.cells()) {
      let match = true;
      for (const name in filter) {
        if (cell.attributes[name] !== filter[name]) {
          match = false;
          break;
        }
      }
      if (match) n += cell.value;
    }
    return n;
  }
}

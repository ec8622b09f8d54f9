/**
 * The token-level reader of `.proto` text the parser builds on: names, strings, integers,
 * option names and option values (constants, lists and text-format aggregates), and skipping
 * of blocks and statements it does not interpret. Bounded: option values nest at most
 * {@link MAX_PROTO_NESTING} deep.
 *
 * @packageDocumentation
 */
import { protoError, tokenize, type Token } from './tokenizer';

/** Deepest message nesting accepted. */
export const MAX_PROTO_NESTING = 32;

/** An option value: scalar (string / number / identifier), list, or text-format aggregate. */
export type OptionValue = string | number | boolean | OptionValue[] | { [k: string]: OptionValue };

/** Reads tokens of `.proto` text. */
export class ProtoReader {
  readonly #t: Token[];
  #i = 0;

  constructor(text: string) {
    this.#t = tokenize(text);
  }

  get done(): boolean {
    return this.#i >= this.#t.length;
  }

  peek(offset = 0): Token | undefined {
    return this.#t[this.#i + offset];
  }

  next(): Token {
    const t = this.#t[this.#i++];
    if (!t) throw protoError('unexpected end of schema text');
    return t;
  }

  is(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && (t.kind === 'sym' || t.kind === 'ident') && t.text === text;
  }

  accept(sym: string): boolean {
    if (this.is(sym)) {
      this.#i++;
      return true;
    }
    return false;
  }

  expect(sym: string): void {
    const t = this.next();
    if (t.text !== sym || (t.kind !== 'sym' && t.kind !== 'ident')) throw protoError(`expected "${sym}", found "${t.text}"`, t.line);
  }

  ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw protoError(`expected a name, found "${t.text}"`, t.line);
    return t.text;
  }

  /** `a.b.c` or `.a.b.c`. */
  fullIdent(): string {
    let out = this.accept('.') ? '.' : '';
    out += this.ident();
    while (this.accept('.')) out += '.' + this.ident();
    return out;
  }

  str(): string {
    const t = this.next();
    if (t.kind !== 'str') throw protoError(`expected a string, found "${t.text}"`, t.line);
    let s = t.text;
    while (this.peek()?.kind === 'str') s += this.next().text;
    return s;
  }

  int(): number {
    const neg = this.accept('-');
    const t = this.next();
    if (t.kind !== 'int') throw protoError(`expected an integer, found "${t.text}"`, t.line);
    const v = /^0[xX]/.test(t.text) ? parseInt(t.text, 16) : /^0[0-7]+$/.test(t.text) ? parseInt(t.text, 8) : Number(t.text);
    if (!Number.isSafeInteger(v)) throw protoError(`integer out of range: ${t.text}`, t.line);
    return neg ? -v : v;
  }

  /** Skips a balanced `{ ... }` block (services, extend). */
  skipBlock(): void {
    this.expect('{');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'sym' && t.text === '{') depth++;
      else if (t.kind === 'sym' && t.text === '}') depth--;
    }
  }

  /** Skips to the end of a statement (`;`). */
  skipStatement(): void {
    while (!this.accept(';')) this.next();
  }

  /** An option name: `a`, `a.b`, `(a.b).c.d`, normalized (no leading dot inside parentheses). */
  optionName(): string {
    let name = '';
    for (;;) {
      if (this.accept('(')) {
        name += `(${this.fullIdent().replace(/^\./, '')})`;
        this.expect(')');
      } else {
        name += this.ident();
      }
      if (!this.accept('.')) return name;
      name += '.';
    }
  }

  /** A constant, list or aggregate option value. */
  optionValue(depth = 0): OptionValue {
    if (depth > MAX_PROTO_NESTING) throw protoError('option value nested too deeply');
    if (this.is('{') || this.is('<')) return this.aggregate(depth + 1);
    if (this.accept('[')) {
      const list: OptionValue[] = [];
      if (!this.accept(']')) {
        do list.push(this.optionValue(depth + 1));
        while (this.accept(','));
        this.expect(']');
      }
      return list;
    }
    const t = this.peek();
    if (t?.kind === 'str') return this.str();
    const sign = this.accept('-') ? -1 : (this.accept('+'), 1);
    const v = this.next();
    if (v.kind === 'int' || v.kind === 'float') return sign * Number(/^0[xX]/.test(v.text) ? parseInt(v.text, 16) : v.text);
    if (v.kind === 'ident') {
      if (v.text === 'true') return true;
      if (v.text === 'false') return false;
      if (v.text === 'inf' || v.text === 'nan') return sign * (v.text === 'inf' ? Infinity : NaN);
      return v.text;
    }
    throw protoError(`bad option value "${v.text}"`, v.line);
  }

  /** A text-format message `{ key: value ... }`; repeated keys collect into lists. */
  aggregate(depth: number): { [k: string]: OptionValue } {
    const close = this.accept('{') ? '}' : (this.expect('<'), '>');
    const out: { [k: string]: OptionValue } = Object.create(null) as { [k: string]: OptionValue };
    while (!this.accept(close)) {
      let key: string;
      if (this.accept('[')) {
        key = `[${this.fullIdent()}]`;
        this.expect(']');
      } else key = this.ident();
      this.accept(':');
      const value = this.optionValue(depth);
      const prev = out[key];
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, ...(Array.isArray(value) ? value : [value])] : [prev, ...(Array.isArray(value) ? value : [value])];
      if (!this.accept(',')) this.accept(';');
    }
    return out;
  }
}

/**
 * Tokenizer of `.proto` schema text: identifiers, numbers, strings (with escapes and adjacent
 * concatenation left to the parser), symbols; comments skipped. Bounded: rejects schema text
 * over {@link MAX_PROTO_TEXT} characters.
 *
 * @packageDocumentation
 */
import { SchemaRegistryError } from '../errors';

/** Largest `.proto` text parsed (characters). */
export const MAX_PROTO_TEXT = 1024 * 1024;

/** One token. `str` tokens carry the decoded string value. */
export interface Token {
  readonly kind: 'ident' | 'int' | 'float' | 'str' | 'sym';
  readonly text: string;
  readonly line: number;
}

export function protoError(message: string, line?: number): SchemaRegistryError {
  return new SchemaRegistryError('SCHEMA_NOT_FOUND', `Invalid Protobuf schema: ${message}${line !== undefined ? ` (line ${line})` : ''}`);
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', v: '\v', f: '\f', b: '\b', a: '\x07', '\\': '\\', "'": "'", '"': '"', '?': '?' };

function readString(src: string, start: number, line: number): { value: string; end: number } {
  const quote = src[start]!;
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length || src[i] === '\n') throw protoError('unterminated string', line);
    const c = src[i]!;
    if (c === quote) return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) throw protoError('unterminated string', line);
    if (SIMPLE_ESCAPES[e] !== undefined) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === 'x' || e === 'X') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(i + 2, i + 4));
      if (!m) throw protoError('bad \\x escape', line);
      out += String.fromCharCode(parseInt(m[0], 16));
      i += 2 + m[0].length;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))!;
      out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
      i += 1 + m[0].length;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw protoError('bad unicode escape', line);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw protoError('bad unicode escape', line);
      out += String.fromCodePoint(cp);
      i += 2 + n;
    } else {
      throw protoError(`unknown escape \\${e}`, line);
    }
  }
}

/** Splits `.proto` text into tokens. */
export function tokenize(src: string): Token[] {
  if (src.length > MAX_PROTO_TEXT) throw protoError(`schema text longer than ${MAX_PROTO_TEXT} characters`);
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw protoError('unterminated comment', line);
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      tokens.push({ kind: 'ident', text: src.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 64));
      if (!m) throw protoError('bad number', line);
      const text = m[0];
      const float = !/^0[xX]/.test(text) && /[.eE]/.test(text);
      tokens.push({ kind: float ? 'float' : 'int', text, line });
      i += text.length;
    } else if (c === '"' || c === "'") {
      const { value, end } = readString(src, i, line);
      tokens.push({ kind: 'str', text: value, line });
      i = end;
    } else if ('{}[]()<>;=,.:-+/'.includes(c)) {
      tokens.push({ kind: 'sym', text: c, line });
      i++;
    } else {
      throw protoError(`unexpected character ${JSON.stringify(c)}`, line);
    }
  }
  return tokens;
}

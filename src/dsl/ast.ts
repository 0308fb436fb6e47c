/** Syntax tree of a `.lutdla` file. Every node has offsets [start, end) into the text, even in broken input. */
import type { Token } from './lexer';

export interface Span {
  start: number;
  end: number;
}

export type Value = NumberValue | StringValue | IdentValue | ListValue | RangeValue | FractionValue | MissingValue;

export interface NumberValue extends Span {
  kind: 'number';
  token: Token;
  value: number;
  unit: string;
}
/** `1/255`: a quotient of two plain numbers (for scale factors). */
export interface FractionValue extends Span {
  kind: 'fraction';
  num: NumberValue;
  den: NumberValue;
  value: number;
}
export interface StringValue extends Span {
  kind: 'string';
  token: Token;
  value: string;
}
export interface IdentValue extends Span {
  kind: 'ident';
  token: Token;
  value: string;
}
export interface ListValue extends Span {
  kind: 'list';
  items: Value[];
  closed: boolean;
}
/** `0:1000`: rows [from, to). */
export interface RangeValue extends Span {
  kind: 'range';
  from: NumberValue;
  to?: NumberValue;
}
/** Placeholder where a value was expected but absent (zero-width or the bad token). */
export interface MissingValue extends Span {
  kind: 'missing';
}

/** `key = value` (with an optional `range a:b` clause on data paths). */
export interface Entry extends Span {
  kind: 'entry';
  key: Token;
  eq?: Token;
  value?: Value;
  rangeKeyword?: Token;
  range?: Value;
}

/** `keyword "label"? { items }` */
export interface Block extends Span {
  kind: 'block';
  keyword: Token;
  label?: Token;
  open?: Token;
  close?: Token;
  items: Item[];
}

/** `vary a.b.c = [..]` */
export interface VaryDirective extends Span {
  kind: 'vary';
  keyword: Token;
  path: Token[]; // identifiers of the dotted path
  pathSpan?: Span;
  eq?: Token;
  value?: Value;
}

/** `require metric <= value` */
export interface RequireDirective extends Span {
  kind: 'require';
  keyword: Token;
  metric?: Token;
  op?: Token;
  value?: Value;
}

export type Item = Entry | Block | VaryDirective | RequireDirective;

export interface SyntaxError extends Span {
  message: string;
}

export interface FileNode extends Span {
  items: Item[];
}

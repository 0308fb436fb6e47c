/**
 * Lexer of the `.lutdla` language. Never throws: characters it cannot read become `error` tokens, so the parser
 * always sees the whole file. Newlines are not tokens; each token records whether a line break precedes it,
 * which the parser uses to resynchronise after an error.
 */

export type TokenKind =
  | 'ident' // lut, centroids, l2, int8, true
  | 'string' // "models/mnist.onnx"
  | 'number' // 16, 0.5, -3, 1e-3, 500MHz, 12.8GB/s (the unit is part of the token)
  | 'lbrace' | 'rbrace' | 'lbracket' | 'rbracket'
  | 'eq' | 'comma' | 'colon' | 'semicolon' | 'dot' | 'slash'
  | 'op' // <= < >= >
  | 'comment'
  | 'error'
  | 'eof';

export interface Token {
  kind: TokenKind;
  start: number; // offset of the first character
  end: number; // offset after the last character
  text: string;
  newlineBefore: boolean;
  /** number tokens: the numeric value and the unit text ('' when none). */
  value?: number;
  unit?: string;
  unitStart?: number;
  /** string tokens: the decoded value; `unterminated` when the closing quote is missing. */
  str?: string;
  unterminated?: boolean;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === 45; // '-' allowed inside names

export interface LexResult {
  tokens: Token[]; // without comments; ends with an eof token
  comments: Token[];
}

export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Token[] = [];
  const n = text.length;
  let i = 0;
  let newline = true;
  // Every token has the same fields in the same order (one hidden class: faster everywhere downstream),
  // and no temporary objects are made per token.
  const push = (kind: TokenKind, start: number, end: number, value?: number, unit?: string, unitStart?: number, str?: string, unterminated?: boolean): void => {
    tokens.push({ kind, start, end, text: text.slice(start, end), newlineBefore: newline, value, unit, unitStart, str, unterminated });
    newline = false;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      newline = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    const start = i;
    // Comments: `# ...` and `// ...` to the end of the line.
    if (c === 35 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      comments.push({ kind: 'comment', start, end: i, text: text.slice(start, i), newlineBefore: newline });
      continue;
    }
    if (c === 34) {
      // String: "..." with \" \\ \n \t escapes; a line break or EOF ends an unterminated string.
      i++;
      let value = '';
      let terminated = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 34) {
          i++;
          terminated = true;
          break;
        }
        if (d === 10) break;
        if (d === 92 && i + 1 < n && text.charCodeAt(i + 1) !== 10) {
          const e = text[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        value += text[i];
        i++;
      }
      push('string', start, i, undefined, undefined, undefined, value, !terminated);
      continue;
    }
    if (isDigit(c) || ((c === 45 || c === 43) && isDigit(text.charCodeAt(i + 1))) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 46 && isDigit(text.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      // Exponent only when digits follow, so `2e` stays a number with a (bad) unit rather than a broken number.
      const e = text.charCodeAt(i);
      if ((e === 101 || e === 69) && (isDigit(text.charCodeAt(i + 1)) || ((text[i + 1] === '-' || text[i + 1] === '+') && isDigit(text.charCodeAt(i + 2))))) {
        i += 2;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      const numEnd = i;
      // Unit: letters/digits right after the number, `%`, and `/letters` (GB/s, pJ/bit).
      if (text.charCodeAt(i) === 37) i++;
      else if (isIdentStart(text.charCodeAt(i))) {
        while (i < n && (isIdentStart(text.charCodeAt(i)) || isDigit(text.charCodeAt(i)))) i++;
        if (text.charCodeAt(i) === 47 && isIdentStart(text.charCodeAt(i + 1))) {
          i++;
          while (i < n && (isIdentStart(text.charCodeAt(i)) || isDigit(text.charCodeAt(i)))) i++;
        }
      }
      push('number', start, i, Number(text.slice(start, numEnd)), text.slice(numEnd, i), numEnd);
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      push('ident', start, i);
      continue;
    }
    i++;
    switch (c) {
      case 123: push('lbrace', start, i); break;
      case 125: push('rbrace', start, i); break;
      case 91: push('lbracket', start, i); break;
      case 93: push('rbracket', start, i); break;
      case 44: push('comma', start, i); break;
      case 58: push('colon', start, i); break;
      case 59: push('semicolon', start, i); break;
      case 46: push('dot', start, i); break;
      case 47: push('slash', start, i); break;
      case 61:
        if (text.charCodeAt(i) === 61) i++; // `==` is read as `=`; the parser reports it.
        push('eq', start, i);
        break;
      case 60:
      case 62:
        if (text.charCodeAt(i) === 61) i++;
        push('op', start, i);
        break;
      default: {
        // Group a run of unreadable characters into one error token (one diagnostic, not hundreds).
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d <= 32 || isIdentStart(d) || isDigit(d) || '{}[]=,:;."#/<>'.includes(text[i])) break;
          i++;
        }
        push('error', start, i);
      }
    }
  }
  tokens.push({ kind: 'eof', start: n, end: n, text: '', newlineBefore: true });
  return { tokens, comments };
}

/**
 * A light scan of a `.lutdla` text for its top-level `model`, `accelerator` and `explore` blocks (for CodeLens and
 * the editor commands). It skips comments and strings and counts braces; the full parser lives in the language
 * server, and a config with errors is stopped by its diagnostics, so this only needs to find block heads.
 */

export type BlockKind = 'model' | 'accelerator' | 'explore';

export interface ConfigBlock {
  kind: BlockKind;
  /** The block's quoted name, if any (`model "mnist"`). */
  name?: string;
  /** 0-based line and character of the block keyword. */
  line: number;
  character: number;
  /** `onnx = "..."` inside a model block, as written. */
  onnx?: string;
  /** Whether a model block sets `calibration` / `evaluation` data (the convert command asks where it does not). */
  calibration?: boolean;
  evaluation?: boolean;
}

interface Token {
  kind: 'word' | 'string' | 'punct';
  text: string;
  line: number;
  character: number;
}

function* tokens(text: string): Generator<Token> {
  let line = 0;
  let col = 0;
  let i = 0;
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++, i++) {
      if (text[i] === '\n') {
        line++;
        col = 0;
      } else col++;
    }
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '#' || (ch === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') advance(1);
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      advance((end < 0 ? text.length : end + 2) - i);
    } else if (ch === '"' || ch === "'") {
      const start = { line, character: col };
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== ch && text[j] !== '\n') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      advance(Math.min(j + 1, text.length) - i);
      yield { kind: 'string', text: value, ...start };
    } else if (/[A-Za-z_]/.test(ch)) {
      const start = { line, character: col };
      let j = i;
      while (j < text.length && /[A-Za-z0-9_.\-]/.test(text[j])) j++;
      const word = text.slice(i, j);
      advance(j - i);
      yield { kind: 'word', text: word, ...start };
    } else if (/\s/.test(ch)) {
      advance(1);
    } else {
      const start = { line, character: col };
      advance(1);
      yield { kind: 'punct', text: ch, ...start };
    }
  }
}

export function scanConfig(text: string): ConfigBlock[] {
  const blocks: ConfigBlock[] = [];
  const all = [...tokens(text)];
  let depth = 0;
  let current: ConfigBlock | undefined;
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    if (t.kind === 'punct') {
      if (t.text === '{') depth++;
      else if (t.text === '}') {
        depth = Math.max(0, depth - 1);
        if (depth === 0) current = undefined;
      }
      continue;
    }
    if (depth === 0 && t.kind === 'word' && (t.text === 'model' || t.text === 'accelerator' || t.text === 'explore')) {
      // A block head: keyword, optional name, then `{`.
      let j = i + 1;
      let name: string | undefined;
      if (all[j]?.kind === 'string' || (all[j]?.kind === 'word' && all[j + 1]?.text === '{')) {
        name = all[j].text;
        j++;
      }
      if (all[j]?.text === '{') {
        current = { kind: t.text, name, line: t.line, character: t.character };
        blocks.push(current);
      }
      continue;
    }
    if (depth === 1 && current?.kind === 'model' && t.kind === 'word' && (all[i + 1]?.text === '=' || all[i + 1]?.text === ':')) {
      if (t.text === 'onnx' && all[i + 2]?.kind === 'string') current.onnx = all[i + 2].text;
      if (t.text === 'calibration') current.calibration = true;
      if (t.text === 'evaluation') current.evaluation = true;
    }
  }
  return blocks;
}

/**
 * ast.literal_eval for the literals Jinja's NativeEnvironment turns rendered
 * text into: numbers, strings, True/False/None, lists, tuples and dicts. Used
 * by render_template_as_native_obj so "[1, 2]" renders to an array.
 */

class NotALiteral extends Error {}

/** The value `text` spells as a Python literal; `text` itself when it is none (Jinja's fallback). */
export function literalEval(text: string): unknown {
  try {
    const parser = new LiteralParser(text);
    const value = parser.value();
    parser.end();
    return value;
  } catch (err) {
    if (!(err instanceof NotALiteral)) throw err;
  }
  // A JSON document is the TypeScript author's spelling of a dict; Python's
  // literal_eval would refuse its true/false/null, so accept it as JSON too.
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON either
    }
  }
  return text;
}

class LiteralParser {
  private pos = 0;
  private readonly s: string;

  constructor(s: string) {
    this.s = s;
  }

  private fail(): never {
    throw new NotALiteral();
  }

  private skip() {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private eat(ch: string): boolean {
    this.skip();
    if (this.s[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }

  end() {
    this.skip();
    if (this.pos !== this.s.length) this.fail();
  }

  value(): unknown {
    this.skip();
    const c = this.s[this.pos];
    if (c === undefined) this.fail();
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') return this.sequence('(', ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.string();
    const word = /^(True|False|None)\b/.exec(this.s.slice(this.pos));
    if (word) {
      this.pos += word[1].length;
      return word[1] === 'True' ? true : word[1] === 'False' ? false : null;
    }
    return this.number();
  }

  private sequence(open: string, close: string): unknown[] {
    this.eat(open);
    const items: unknown[] = [];
    while (!this.eat(close)) {
      items.push(this.value());
      if (!this.eat(',')) {
        if (!this.eat(close)) this.fail();
        // "(1)" is the number 1 in Python, not a tuple
        return open === '(' && items.length === 1 ? (items[0] as unknown[]) : items;
      }
    }
    return items;
  }

  private dict(): Record<string, unknown> {
    this.eat('{');
    const out: Record<string, unknown> = {};
    while (!this.eat('}')) {
      const key = this.value();
      if (typeof key === 'object' && key !== null) this.fail();
      if (!this.eat(':')) this.fail();
      out[String(key)] = this.value();
      if (!this.eat(',')) {
        if (!this.eat('}')) this.fail();
        break;
      }
    }
    return out;
  }

  private string(): string {
    const quote = this.s[this.pos++];
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === quote) {
        // adjacent literals concatenate: 'a' 'b' == 'ab'
        this.skip();
        const next = this.s[this.pos];
        return next === '"' || next === "'" ? out + this.string() : out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += len;
      } else out += `\\${e}`;
    }
    return this.fail();
  }

  private number(): number {
    const m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|\d[\d_]*\.)/.exec(this.s.slice(this.pos));
    if (!m || m[0] === '' || m[0] === '-' || m[0] === '+') this.fail();
    this.pos += m[0].length;
    const text = m[0].replaceAll('_', '');
    const sign = text.startsWith('-') ? -1 : 1;
    const body = text.replace(/^[-+]/, '');
    if (/^0[xob]/i.test(body)) return sign * Number(body.toLowerCase());
    const n = Number(body);
    if (Number.isNaN(n)) this.fail();
    return sign * n;
  }
}

/**
 * Canonical text of a JSON document, for comparing a stored `jsonb` value
 * with the bytes that were received without losing precision:
 *
 * - numbers are written as `<digits>e<exponent>` with no leading or trailing
 *   zeros, so `1.50`, `15e-1` and `1.5` agree, and `2^53 + 1` or `1e400`
 *   keep every digit (JSON.parse would round them);
 * - strings are decoded with JSON.parse and written with JSON.stringify, so
 *   escapes, including lone surrogates, compare by the code units they mean;
 * - object keys are sorted, and a repeated key keeps its last value, as
 *   both JSON.parse and PostgreSQL's jsonb do.
 *
 * The parser is iterative, so nesting depth is bounded by memory only.
 * Throws a SyntaxError for text that is not JSON.
 */
export function canonicalJson(text: string): string {
  const scanner = new Scanner(text);
  const stack: Frame[] = [];
  let result: string | undefined;

  const emit = (value: string): void => {
    const parent = stack.at(-1);
    if (parent === undefined) {
      result = value;
    } else if (parent.kind === 'array') {
      parent.items.push(value);
    } else {
      parent.members.set(parent.pendingKey!, value);
      parent.pendingKey = undefined;
    }
  };

  for (;;) {
    scanner.skipWhitespace();
    const top = stack.at(-1);

    if (top?.kind === 'object' && top.pendingKey === undefined) {
      if (scanner.take('}')) {
        stack.pop();
        emit(`{${[...top.members.keys()].sort().map((key) => `${key}:${top.members.get(key)}`).join(',')}}`);
      } else {
        if (top.members.size > 0 || top.sawKey) {
          scanner.expect(',');
          scanner.skipWhitespace();
        }
        top.pendingKey = scanner.string();
        top.sawKey = true;
        scanner.skipWhitespace();
        scanner.expect(':');
        continue;
      }
    } else if (top?.kind === 'array' && scanner.peek() === ']') {
      scanner.take(']');
      stack.pop();
      emit(`[${top.items.join(',')}]`);
    } else {
      if (top?.kind === 'array' && top.items.length > 0) {
        scanner.expect(',');
        scanner.skipWhitespace();
      }
      const next = scanner.peek();
      if (next === '{') {
        scanner.take('{');
        stack.push({ kind: 'object', members: new Map(), pendingKey: undefined, sawKey: false });
        continue;
      }
      if (next === '[') {
        scanner.take('[');
        stack.push({ kind: 'array', items: [] });
        continue;
      }
      emit(scanner.scalar());
    }

    if (stack.length === 0 && result !== undefined) {
      scanner.skipWhitespace();
      scanner.expectEnd();
      return result;
    }
  }
}

type Frame =
  | { kind: 'array'; items: string[] }
  | { kind: 'object'; members: Map<string, string>; pendingKey: string | undefined; sawKey: boolean };

const WHITESPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?/y;
const LITERAL = /true|false|null/y;

class Scanner {
  private position = 0;

  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.position;
    WHITESPACE.exec(this.text);
    this.position = WHITESPACE.lastIndex;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  take(char: string): boolean {
    if (this.text[this.position] !== char) {
      return false;
    }
    this.position += 1;
    return true;
  }

  expect(char: string): void {
    if (!this.take(char)) {
      throw new SyntaxError(`expected "${char}" at offset ${this.position}`);
    }
  }

  expectEnd(): void {
    if (this.position !== this.text.length) {
      throw new SyntaxError(`unexpected text at offset ${this.position}`);
    }
  }

  /** Reads a string token and returns it in JSON.stringify form. */
  string(): string {
    const token = this.match(STRING, 'a string');
    return JSON.stringify(JSON.parse(token) as string);
  }

  scalar(): string {
    const next = this.peek();
    if (next === '"') {
      return this.string();
    }
    if (next === 't' || next === 'f' || next === 'n') {
      return this.match(LITERAL, 'true, false or null');
    }
    NUMBER.lastIndex = this.position;
    const parts = NUMBER.exec(this.text);
    if (parts === null || parts.index !== this.position) {
      throw new SyntaxError(`expected a JSON value at offset ${this.position}`);
    }
    this.position = NUMBER.lastIndex;
    return canonicalNumber(parts[2], parts[3] ?? '', Number(parts[4] ?? '0'), parts[1] === '-');
  }

  private match(pattern: RegExp, what: string): string {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (found === null || found.index !== this.position) {
      throw new SyntaxError(`expected ${what} at offset ${this.position}`);
    }
    this.position = pattern.lastIndex;
    return found[0];
  }
}

/** Writes integer part `whole`, fraction `fraction` and exponent `exponent` as `<digits>e<exponent>`. */
function canonicalNumber(whole: string, fraction: string, exponent: number, negative: boolean): string {
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let scale = exponent - fraction.length;
  if (digits === '') {
    return '0';
  }
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  scale += trailing;
  return `${negative ? '-' : ''}${digits}e${scale}`;
}

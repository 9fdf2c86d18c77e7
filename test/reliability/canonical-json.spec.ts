import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './support/canonical-json';
import { printSummary, runSeed } from './support/summary';

const FILE = 'test/reliability/canonical-json.spec.ts';

function compareText(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/** Serializes a parsed JSON value with object keys sorted, so that equal values give equal text. */
function sortedStringify(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(sortedStringify).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${sortedStringify(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The comparison that http-fuzz.spec.ts relies on must tell equal documents from different ones. */
describe('canonicalJson', () => {
  it.each([
    ['key order and whitespace', '{"b":[1, 2],\n "a":{}}', '{"a":{},"b":[1,2]}'],
    ['number spellings', '[1.50, 1e2, -0, 0.0]', '[1.5, 100, 0, 0]'],
    ['string escapes', '["\\u00e4\\/", "\\ud800"]', '["ä/", "\\uD800"]'],
    ['repeated keys keep the last', '{"a":1,"a":2}', '{"a":2}'],
  ])('equates %s', (name, left, right) => {
    printSummary(FILE, `equates ${name}`, { inputs: 2 });
    expect(canonicalJson(left)).toBe(canonicalJson(right));
  });

  it.each([
    ['integers beyond 2^53', '9007199254740993', '9007199254740992'],
    ['long fractions', '0.1000000000000000000001', '0.1'],
    ['huge exponents', '1e400', '1e401'],
    ['array order', '[1,2]', '[2,1]'],
    ['nesting', '[[1]]', '[1]'],
  ])('tells apart %s', (name, left, right) => {
    printSummary(FILE, `tells apart ${name}`, { inputs: 2 });
    expect(canonicalJson(left)).not.toBe(canonicalJson(right));
  });

  it('matches JSON.parse equality on generated values', () => {
    const seed = runSeed();
    let runs = 0;

    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (left, right) => {
        runs += 1;
        const equal = sortedStringify(left) === sortedStringify(right);

        expect(canonicalJson(JSON.stringify(left, null, 2)) === canonicalJson(JSON.stringify(right))).toBe(equal);
        expect(canonicalJson(JSON.stringify(left, null, 2))).toBe(canonicalJson(JSON.stringify(left)));
      }),
      { seed, numRuns: 500 },
    );

    printSummary(FILE, 'generated values', { seed, inputs: runs });
  });

  it('rejects text that is not JSON', () => {
    const invalid = ['', '{', '[1,]', '{"a":1,}', '01', '"\\x"', '1 2', 'nul'];
    printSummary(FILE, 'invalid text', { inputs: invalid.length });
    for (const text of invalid) {
      expect(() => canonicalJson(text), text).toThrow(SyntaxError);
    }
  });
});

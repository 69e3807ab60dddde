/**
 * Finds the text of one member of a JSON object without parsing it: `jsonMemberText('{"a":[1, 2]}', 'a')`
 * is `'[1, 2]'`. The input must already be known to be a valid JSON object (JSON.parse accepted it), so
 * the scanner only has to find boundaries, not report errors. It is iterative: nesting depth costs no
 * stack, which is the point (see `ReceivedSignal`).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The raw text of the top-level member `key` of the JSON object `json`, or undefined when it has none.
 * With duplicate keys the last one is taken, as JSON.parse does.
 */
export function jsonMemberText(json: string, key: string): string | undefined {
  let found: string | undefined;
  let i = skipWhitespace(json, 0) + 1; // past '{'
  for (;;) {
    i = skipWhitespace(json, i);
    if (json.charCodeAt(i) !== QUOTE) return found; // '}' of an empty object (or after a member)
    const keyEnd = stringEnd(json, i);
    const keyToken = json.slice(i, keyEnd);
    i = skipWhitespace(json, keyEnd);
    i = skipWhitespace(json, i + 1); // past ':'
    const valueStart = i;
    i = valueEnd(json, valueStart);
    if (keyMatches(keyToken, key)) found = json.slice(valueStart, i);
    i = skipWhitespace(json, i);
    if (json.charCodeAt(i) !== COMMA) return found;
    i++;
  }
}

function keyMatches(token: string, key: string): boolean {
  // A key written with escapes ("d\u0061ta") is still the same key.
  if (token.includes('\\')) return JSON.parse(token) === key;
  return token.length === key.length + 2 && token.startsWith(key, 1);
}

/** Index just past the value starting at `start`. */
function valueEnd(json: string, start: number): number {
  const first = json.charCodeAt(start);
  if (first === QUOTE) return stringEnd(json, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = start;
    while (i < json.length && !endsPrimitive(json.charCodeAt(i))) i++;
    return i;
  }
  let depth = 0;
  let i = start;
  do {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(json, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    i++;
  } while (depth > 0);
  return i;
}

/** Index just past the closing quote of the string whose opening quote is at `start`. */
function stringEnd(json: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = json.indexOf('"', from);
    let backslashes = 0;
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function endsPrimitive(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON || isWhitespace(c);
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(json: string, from: number): number {
  let i = from;
  while (isWhitespace(json.charCodeAt(i))) i++;
  return i;
}

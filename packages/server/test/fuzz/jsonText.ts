/**
 * JSON built at the text level, so that a fuzz frame can say what `JSON.stringify` never would: the same
 * key twice, number spellings such as `1e309`, `-0` or `1.0`, keys in any order. A frame is a tree of
 * `JsonNode`s rendered by `renderJson`.
 */

/** A token written as is: a number spelling, or any fragment (even invalid JSON). */
export class RawToken {
  constructor(readonly text: string) {}
}

/** An object as an ordered list of entries: keys may repeat (JSON.parse keeps the last). */
export class ObjectNode {
  constructor(readonly entries: [string, JsonNode][]) {}

  static of(fields: Record<string, JsonNode>): ObjectNode {
    return new ObjectNode(Object.entries(fields));
  }

  has(key: string): boolean {
    return this.entries.some(([name]) => name === key);
  }

  set(key: string, value: JsonNode): void {
    const entry = this.entries.find(([name]) => name === key);
    if (entry === undefined) this.entries.push([key, value]);
    else entry[1] = value;
  }
}

export type JsonNode = null | boolean | number | string | RawToken | ObjectNode | JsonNode[];

/** The JSON text of a node; strings go through JSON.stringify, so lone surrogates come out escaped. */
export function renderJson(node: JsonNode): string {
  if (node instanceof RawToken) return node.text;
  if (node instanceof ObjectNode) {
    return `{${node.entries.map(([key, value]) => `${JSON.stringify(key)}:${renderJson(value)}`).join(',')}}`;
  }
  if (Array.isArray(node)) return `[${node.map(renderJson).join(',')}]`;
  // JSON.stringify(NaN) is "null": numbers that JSON cannot spell are RawTokens, never plain numbers.
  return JSON.stringify(node);
}

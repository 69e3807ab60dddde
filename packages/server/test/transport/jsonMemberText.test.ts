import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonMemberText } from '../../src/transport/jsonMemberText.js';

describe('jsonMemberText', () => {
  it('finds the text of a member, whatever the value and the spacing', () => {
    assert.equal(jsonMemberText('{"a":1,"data":[1, {"x":"]}"}],"z":null}', 'data'), '[1, {"x":"]}"}]');
    assert.equal(jsonMemberText(' { "data" :\t"q\\"}" , "b":2}', 'data'), '"q\\"}"');
    assert.equal(jsonMemberText('{"data":-1.5e3}', 'data'), '-1.5e3');
    assert.equal(jsonMemberText('{"data":true }', 'data'), 'true');
    assert.equal(jsonMemberText('{"dat":1,"datax":2}', 'data'), undefined);
    assert.equal(jsonMemberText('{}', 'data'), undefined);
    assert.equal(jsonMemberText('{"x":"\\\\","data":{}}', 'data'), '{}');
  });

  it('takes the last of duplicate keys and reads escaped keys, as JSON.parse does', () => {
    assert.equal(jsonMemberText('{"data":1,"data":[2]}', 'data'), '[2]');
    assert.equal(jsonMemberText('{"d\\u0061ta":{"k":3}}', 'data'), '{"k":3}');
  });

  it('costs no stack for deep nesting', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assert.equal(jsonMemberText(`{"data":${deep},"type":"signal"}`, 'data'), deep);
  });

  it('agrees with JSON.parse on random objects written with random spacing', () => {
    const spaced = (json: string, spaces: string[]) => {
      let i = 0;
      // Whitespace is legal around every structural character; insert some outside strings.
      return json.replace(/("(?:[^"\\]|\\.)*")|([{}[\],:])/g, (match, str: string | undefined) =>
        str !== undefined ? match : `${spaces[i++ % spaces.length]}${match}${spaces[i++ % spaces.length]}`,
      );
    };
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.array(fc.constantFrom('', ' ', '\n', '\t', '\r\n  ')),
        (object, spaces) => {
          const json = spaced(JSON.stringify(object), spaces.length === 0 ? [''] : spaces);
          const parsed = JSON.parse(json) as Record<string, unknown>;
          for (const key of Object.keys(parsed)) {
            const text = jsonMemberText(json, key);
            assert.ok(text !== undefined, `no text for ${JSON.stringify(key)} in ${json}`);
            assert.deepEqual(JSON.parse(text), parsed[key]);
          }
        },
      ),
      { seed: 7, numRuns: 500 },
    );
  });
});

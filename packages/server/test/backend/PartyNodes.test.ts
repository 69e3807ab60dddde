import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartyNodes } from '../../src/backend/redis/PartyNodes.js';

describe('PartyNodes', () => {
  it('knows each party of a call apart, until the call is forgotten', () => {
    const nodes = new PartyNodes();
    nodes.learn('c1', 'caller', 'n1');
    nodes.learn('c1', 'agent', 'n2');
    assert.equal(nodes.nodeOf('c1', 'caller'), 'n1');
    assert.equal(nodes.nodeOf('c1', 'agent'), 'n2');
    assert.equal(nodes.nodeOf('c2', 'caller'), undefined);
    nodes.forget('c1');
    assert.equal(nodes.nodeOf('c1', 'agent'), undefined);
    assert.equal(nodes.size, 0);
  });

  it('drops the oldest call past its limit', () => {
    const nodes = new PartyNodes(2);
    nodes.learn('c1', 'p', 'n1');
    nodes.learn('c2', 'p', 'n1');
    nodes.learn('c3', 'p', 'n1');
    assert.equal(nodes.size, 2);
    assert.equal(nodes.nodeOf('c1', 'p'), undefined);
    assert.equal(nodes.nodeOf('c3', 'p'), 'n1');
  });
});

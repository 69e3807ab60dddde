import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodePeerMessages,
  encodeBatch,
  encodeSignal,
  encodeSignalRefusal,
} from '../../src/backend/redis/noticeCodec.js';

const id = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !text.includes('\n'));
const signal = fc.record(
  {
    extensionId: id,
    toPeerId: id,
    callId: id,
    senderPeerId: id,
    senderNode: id,
    id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    dataJson: fc.string({ unit: 'grapheme', maxLength: 200 }),
  },
  { requiredKeys: ['extensionId', 'toPeerId', 'callId', 'senderPeerId', 'senderNode', 'dataJson'] },
);
const encode = ({
  extensionId,
  senderNode,
  ...rest
}: typeof signal extends fc.Arbitrary<infer T> ? T : never) => encodeSignal(extensionId, rest, senderNode);

describe('noticeCodec: signals on a process channel', () => {
  it('decodes a batch of signals to the same signals, in order', () => {
    fc.assert(
      fc.property(fc.array(signal, { minLength: 1, maxLength: 8 }), (signals) => {
        const decoded = decodePeerMessages(encodeBatch(signals.map(encode)));
        assert.deepEqual(
          decoded,
          signals.map((s) => ({
            extensionId: s.extensionId,
            peerId: s.toPeerId,
            notice: {
              kind: 'signal',
              callId: s.callId,
              dataJson: s.dataJson,
              senderPeerId: s.senderPeerId,
              ...(s.id === undefined ? {} : { id: s.id }),
            },
            otherNode: s.senderNode,
          })),
        );
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });

  it('sends one message as itself, without the batch framing', () => {
    const one = encodeSignal(
      'e',
      { toPeerId: 'p', callId: 'c', senderPeerId: 's', dataJson: '{"x":1}' },
      'n',
    );
    assert.equal(encodeBatch([one]), one);
  });

  it('carries a refusal among signals', () => {
    const one = encodeSignal('e', { toPeerId: 'p', callId: 'c', senderPeerId: 's', dataJson: '2' }, 'n');
    const refusal = encodeSignalRefusal('e', { callId: 'c0', senderPeerId: 'p', id: 3 });
    assert.deepEqual(
      decodePeerMessages(encodeBatch([one, refusal]))?.map((m) => m.notice.kind),
      ['signal', 'signal-refused'],
    );
  });

  it('refuses a batch it cannot read, whole', () => {
    const good = encodeSignal('e', { toPeerId: 'p', callId: 'c', senderPeerId: 's', dataJson: '1' }, 'n');
    for (const bad of [
      'B',
      `B${good.length + 1}:${good}`,
      `B${good.length}${good}`,
      `B-1:${good}`,
      `B${good.length}:${good}3:abc`,
      `B2:{}`,
      `B${'9'.repeat(12)}:${good}`,
      `B${good.length + 1}:B${good}`,
      'Se\np\nc\ns\nn\n{"not":"an id"}\n1',
      'Se\np\nc\ns\n1',
    ]) {
      assert.equal(decodePeerMessages(bad), undefined, bad);
    }
  });

  it('reads a notice for a peer and the process of the other party', () => {
    assert.deepEqual(
      decodePeerMessages(
        JSON.stringify({
          e: 'e',
          p: 'caller',
          n: { kind: 'connected', callId: 'c', answererPeerId: 'a' },
          o: 'n1',
        }),
      ),
      [
        {
          extensionId: 'e',
          peerId: 'caller',
          notice: { kind: 'connected', callId: 'c', answererPeerId: 'a' },
          otherNode: 'n1',
        },
      ],
    );
  });
});

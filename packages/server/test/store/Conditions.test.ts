import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Conditions } from '../../src/store/Conditions.js';

describe('Conditions', () => {
  it('writes no WHERE when there are no conditions', () => {
    const where = Conditions.numbered();

    assert.equal(where.clause(), '');
    assert.deepEqual(where.values, []);
  });

  it('numbers PostgreSQL placeholders across conditions, values kept out of the SQL', () => {
    const where = Conditions.numbered();
    where.add('extension_id = $?', "x'; DROP TABLE calls; --");
    where.add('done_at IS NULL');
    where.add('ringing_at BETWEEN $? AND $?', 10, 20);

    assert.equal(
      where.clause(),
      'WHERE extension_id = $1 AND done_at IS NULL AND ringing_at BETWEEN $2 AND $3',
    );
    assert.deepEqual(where.values, ["x'; DROP TABLE calls; --", 10, 20]);
  });

  it('writes SQLite placeholders as ?, bound in order', () => {
    const where = Conditions.anonymous<string | number>();
    where.add('extension_id = $?', 'a$1');
    where.add('outcome IN ($?, $?)', 'answered', 'dropped');

    assert.equal(where.clause(), 'WHERE extension_id = ? AND outcome IN (?, ?)');
    assert.deepEqual(where.values, ['a$1', 'answered', 'dropped']);
  });
});

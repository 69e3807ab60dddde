/**
 * The state behind the admin's Calls and Callback requests pages without a browser (FilteredRows): the
 * latest load's answer counts, none after stop, a failure keeps the rows it had, a 401 changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiResult, ExtensionRow } from '../src/admin/adminData.js';
import { FilteredRows } from '../src/admin/FilteredRows.js';

const FRONT_DESK: ExtensionRow = {
  id: 'front-desk',
  name: 'Front desk',
  callerUrl: 'https://pbx.example/ext/front-desk',
  agentUrl: 'https://pbx.example/ext/front-desk/agent',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '',
};

/** Answers handed out by the test, in the order they were asked for. */
function answers<T>() {
  const waiting: ((result: ApiResult<T>) => void)[] = [];
  const ask = () => new Promise<ApiResult<T>>((resolve) => waiting.push(resolve));
  const answer = async (index: number, result: ApiResult<T>) => {
    waiting[index]?.(result);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { ask, answer, asked: () => waiting.length };
}

function filteredRows() {
  const extensions = answers<ExtensionRow[]>();
  const rows = answers<string[]>();
  const told: string[] = [];
  const list = new FilteredRows<string>({
    extensions: extensions.ask,
    rows: rows.ask,
    extensionsLoaded: () => told.push('extensions'),
    rowsLoaded: (focus) => told.push(`rows ${focus ?? '-'}`),
  });
  return { list, extensions, rows, told };
}

describe('FilteredRows', () => {
  test('start asks for the extensions and the rows; each answer is kept and told', async () => {
    const { list, extensions, rows, told } = filteredRows();
    list.start();
    assert.equal(extensions.asked(), 1);
    assert.equal(rows.asked(), 1);
    await rows.answer(0, { ok: true, value: ['a', 'b'] });
    await extensions.answer(0, { ok: true, value: [FRONT_DESK] });
    assert.deepEqual(list.rows, ['a', 'b']);
    assert.deepEqual(list.extensions, [FRONT_DESK]);
    assert.deepEqual(told, ['rows -', 'extensions']);
  });

  test('only the latest load counts, with the focus it was given', async () => {
    const { list, rows, told } = filteredRows();
    list.start();
    void list.load('caption');
    await rows.answer(1, { ok: true, value: ['new'] });
    await rows.answer(0, { ok: true, value: ['old'] });
    assert.deepEqual(list.rows, ['new']);
    assert.deepEqual(told, ['rows caption']);
  });

  test('a failure keeps the rows and says why; the next answer clears it', async () => {
    const { list, rows } = filteredRows();
    list.start();
    await rows.answer(0, { ok: true, value: ['a'] });
    void list.load();
    await rows.answer(1, { ok: false, problem: 'failed' });
    assert.deepEqual(list.rows, ['a']);
    assert.match(list.problem ?? '', /could not be reached/);
    void list.load();
    await rows.answer(2, { ok: true, value: [] });
    assert.deepEqual(list.rows, []);
    assert.equal(list.problem, undefined);
  });

  test('a 401 changes nothing and tells nothing: the admin page signs in again', async () => {
    const { list, rows, told } = filteredRows();
    list.start();
    await rows.answer(0, { ok: false, problem: 'unauthorized' });
    assert.equal(list.rows, undefined);
    assert.equal(list.problem, undefined);
    assert.deepEqual(told, []);
  });

  test('answers after stop are dropped', async () => {
    const { list, extensions, rows, told } = filteredRows();
    list.start();
    list.stop();
    await rows.answer(0, { ok: true, value: ['a'] });
    await extensions.answer(0, { ok: true, value: [FRONT_DESK] });
    assert.equal(list.rows, undefined);
    assert.deepEqual(list.extensions, []);
    assert.deepEqual(told, []);
  });
});

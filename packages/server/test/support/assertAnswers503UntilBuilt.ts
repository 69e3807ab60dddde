import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startTestServer } from './testServer.js';

/**
 * Starts a server on `webRoot`, a web build that lacks what `path` serves, and asserts that `path`
 * answers 503 with the hint to run the build (not a failure or a 404); then closes the server and
 * removes `webRoot`.
 */
export async function assertAnswers503UntilBuilt(webRoot: string, path: string): Promise<void> {
  const server = await startTestServer({ webRoot, extensions: [{ id: 'front', password: 'pw' }] });
  try {
    const response = await fetch(`${server.server.url}${path}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(response.status, 503);
    assert.match(await response.text(), /npm run build/);
  } finally {
    await server.close();
    await rm(webRoot, { recursive: true, force: true });
  }
}

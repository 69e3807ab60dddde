import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** `test-artifacts/` at the repository root (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../../test-artifacts/', import.meta.url));
export const SCREENSHOTS_DIR = join(ARTIFACTS_DIR, 'screenshots');

/** Saves a PNG of the page (full page) as `test-artifacts/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  // Let entry animations and the avatar/video swap settle, and hide the caret, so screenshots are stable.
  await page.waitForTimeout(350);
  await page.screenshot({ path, fullPage: true, caret: 'hide' });
  return path;
}

export async function writeArtifact(name: string, value: unknown): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

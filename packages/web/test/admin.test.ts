/**
 * Chromium, issue 11 point 2: the web admin at /admin against the real server (its own in-memory store,
 * an admin account added through the store) and the built web app. Sign in (a wrong password first);
 * Extensions (add: the generated password shown once and copied; a taken id; rename; new password after
 * asking; copy the caller URL and the embed snippet; remove after asking); Callback requests (mark done);
 * sign out (then every page is the sign-in form again); a session ended on the server; the keyboard;
 * the pages at 360 px. What the API returns is shown as text, never markup. Live and Calls:
 * adminLive.test.ts. Screenshots go to test-artifacts/screenshots, and to docs/screenshots with
 * PBX_PEERS_DOCS_SCREENSHOTS=1. The server's own checks (401 without a session, CSRF, brute force) are in
 * packages/server/test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { verifyPassword } from '../../server/src/store/passwordHash.js';
import {
  ADMIN,
  adminSignIn,
  adminStage,
  assertFitsWidth,
  docsScreenshot,
  extensionRow,
  FRONT_DESK,
  goTo,
  LAPTOP,
  PHONE,
  SALES,
  waitForClipboard,
  XSS,
} from './support/adminPages.js';
import { launchChromium } from './support/chromium.js';

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe('issue 11, the web admin', () => {
  test('sign in; Extensions: add (the password shown once), rename, new password, copy URL and snippet, remove', async (t) => {
    const { server, errors, admin } = await adminStage(t, browser);
    const page = await admin(LAPTOP, '/admin/extensions');

    // The sign-in form, focus in its first field; a wrong password is said, and focus goes back to it.
    await page.getByRole('heading', { name: 'Admin sign-in' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-name');
    await page.getByLabel('Admin name').fill(ADMIN.name);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-password');
    await adminSignIn(page);
    await page.getByRole('heading', { level: 1, name: 'Extensions' }).waitFor();
    assert.equal(
      await page.getByRole('link', { name: 'Extensions', exact: true }).getAttribute('aria-current'),
      'page',
    );
    await extensionRow(page, FRONT_DESK.id).waitFor();
    assert.equal(await page.locator('li[data-extension-id]').count(), 2);

    // Add: checked first (no name), then added; its password shown once, with a Copy button.
    await page.getByRole('button', { name: 'Add extension' }).click();
    await page.getByText('Enter a name, e.g. Front desk.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'add-name');
    await page.getByLabel('Name', { exact: true }).fill('Support');
    await page.getByLabel('Id (optional)').fill('support');
    await page.getByRole('button', { name: 'Add extension' }).click();
    const secret = page.locator('.admin-secret');
    await secret.waitFor();
    assert.match((await secret.textContent()) ?? '', /Shown once\..*cannot be shown again/);
    const password = ((await secret.locator('.admin-secret-value').textContent()) ?? '').trim();
    assert.ok(password.length >= 12, `a generated password: ${password}`);
    const created = await server.store.get('support');
    assert.equal(created?.name, 'Support');
    assert.equal(
      await verifyPassword(password, created?.passwordHash ?? ''),
      true,
      'the password shown is the one kept',
    );
    await secret.getByRole('button', { name: 'Copy password' }).click();
    assert.equal(await waitForClipboard(page, password), password);
    await page.locator('#admin-status', { hasText: 'Password copied.' }).waitFor();
    await extensionRow(page, 'support').getByRole('heading', { name: 'Support' }).waitFor();
    await docsScreenshot(page, 'admin-extensions');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await secret.count(), 0);
    // Shown once: not after a reload either.
    await page.reload({ waitUntil: 'load' });
    await extensionRow(page, 'support').waitFor();
    assert.equal(await page.locator('.admin-secret').count(), 0);
    assert.equal(await page.getByText(password).count(), 0);
    // A name with markup (renamed elsewhere) is shown as text, never parsed.
    await server.store.rename('support', XSS);
    await page.reload({ waitUntil: 'load' });
    await extensionRow(page, 'support').getByRole('heading', { name: XSS }).waitFor();
    assert.equal(await page.locator('li[data-extension-id] img').count(), 0);

    // A taken id is said under the id field.
    await page.getByLabel('Name', { exact: true }).fill('Again');
    await page.getByLabel('Id (optional)').fill('sales');
    await page.getByRole('button', { name: 'Add extension' }).click();
    await page.locator('#add-id-error').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'add-id');

    // Rename inline: Escape cancels, Enter saves.
    const row = extensionRow(page, FRONT_DESK.id);
    await row.getByRole('button', { name: 'Rename Front desk' }).click();
    const renameField = row.getByLabel('New name for Front desk');
    assert.equal(await renameField.evaluate((input) => input === document.activeElement), true);
    await renameField.press('Escape');
    await row.getByRole('button', { name: 'Rename Front desk' }).waitFor();
    await row.getByRole('button', { name: 'Rename Front desk' }).click();
    await renameField.fill('Reception');
    await renameField.press('Enter');
    await row.getByRole('heading', { name: 'Reception' }).waitFor();
    assert.equal((await server.store.get(FRONT_DESK.id))?.name, 'Reception');

    // New password: asks first (Cancel changes nothing), then shows the new one once.
    const before = (await server.store.get(FRONT_DESK.id))?.passwordHash;
    await row.getByRole('button', { name: 'New password for Reception' }).click();
    await row.getByText('Make a new password for Reception?').waitFor();
    await row.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await server.store.get(FRONT_DESK.id))?.passwordHash, before);
    await row.getByRole('button', { name: 'New password for Reception' }).click();
    await row.getByRole('button', { name: 'Make new password' }).click();
    await page.locator('.admin-secret[data-secret="new-password"]').waitFor();
    const newPassword = ((await page.locator('.admin-secret-value').textContent()) ?? '').trim();
    const after = await server.store.get(FRONT_DESK.id);
    assert.notEqual(after?.passwordHash, before);
    assert.equal(await verifyPassword(newPassword, after?.passwordHash ?? ''), true);
    assert.equal(await verifyPassword(FRONT_DESK.password, after?.passwordHash ?? ''), false);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    // Copy the caller URL and the embed snippet.
    await row.getByRole('button', { name: 'Copy caller URL of Reception' }).click();
    assert.equal(
      await waitForClipboard(page, server.callerUrl(FRONT_DESK.id)),
      server.callerUrl(FRONT_DESK.id),
    );
    await row.getByRole('button', { name: 'Copy embed snippet of Reception' }).click();
    const snippet = await waitForClipboard(page, /embed\.js/);
    assert.match(
      snippet,
      /^<script src="http:\/\/127\.0\.0\.1:\d+\/embed\.js" data-extension="front-desk" async><\/script>$/,
    );

    // Remove: asks first, then the row goes (and the extension with it).
    const sales = extensionRow(page, SALES.id);
    await sales.getByRole('button', { name: 'Remove Sales' }).click();
    await sales.getByText('Remove Sales?').waitFor();
    await sales.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await server.store.exists(SALES.id), true);
    await sales.getByRole('button', { name: 'Remove Sales' }).click();
    await sales.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Sales removed.' }).waitFor();
    assert.equal(await sales.count(), 0);
    assert.equal(await server.store.exists(SALES.id), false);
    assert.deepEqual(errors, []);
  });

  test('Callback requests: listed as text, Mark done; Sign out, then every page is the sign-in form', async (t) => {
    const { server, errors, admin } = await adminStage(t, browser);
    await server.store.addCallbackRequest({
      extensionId: FRONT_DESK.id,
      name: 'Bob',
      contact: '+44 20 7946 0958',
      message: 'About my order',
    });
    await server.store.addCallbackRequest({
      extensionId: SALES.id,
      name: XSS,
      contact: 'ann@example.com',
      message: '<b>not bold</b>',
    });
    const page = await admin(LAPTOP, '/admin/callbacks');
    await adminSignIn(page);
    await page.getByRole('heading', { level: 1, name: 'Callback requests' }).waitFor();
    await page.locator('#callbacks-caption', { hasText: '2 requests' }).waitFor();
    const hostile = page.locator('li[data-callback-id]', { hasText: 'ann@example.com' });
    assert.equal(await hostile.getByRole('heading').textContent(), XSS);
    assert.equal(await hostile.locator('img, b').count(), 0);
    assert.equal(
      await hostile.getByRole('link', { name: 'ann@example.com' }).getAttribute('href'),
      'mailto:ann@example.com',
    );

    await page.getByRole('button', { name: 'Mark done: Bob' }).click();
    await page.locator('#callbacks-caption', { hasText: '1 request' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Mark done: Bob' }).count(), 0);
    const bob = (await server.store.listCallbackRequests({ extensionId: FRONT_DESK.id }))[0];
    assert.ok(bob?.doneAt !== undefined, 'marked done in the store');
    // Done ones are there when asked for.
    await page.getByLabel('Only those not done yet').uncheck();
    await page.getByRole('button', { name: 'Show requests' }).click();
    await page.locator('#callbacks-caption', { hasText: '2 requests' }).waitFor();
    assert.match(
      (await page.locator('li[data-callback-id]', { hasText: 'Bob' }).textContent()) ?? '',
      /Done/,
    );

    // Sign out: the sign-in form; every page, and the API, want a session again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Admin sign-in' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'You are signed out.' }).waitFor();
    for (const path of ['/admin', '/admin/live', '/admin/calls', '/admin/callbacks']) {
      await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
      await page.getByRole('heading', { name: 'Admin sign-in' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).isVisible(), false, path);
    }
    const status = await page.evaluate(async () => (await fetch('/admin/api/extensions')).status);
    assert.equal(status, 401);
    // Signing in again lands on the page asked for.
    await adminSignIn(page);
    await page.getByRole('heading', { level: 1, name: 'Callback requests' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a session that ends elsewhere goes back to sign-in; phone width: every page fits 360 px', async (t) => {
    const { server, errors, admin } = await adminStage(t, browser);
    await server.store.addCallbackRequest({
      extensionId: FRONT_DESK.id,
      name: 'Bob',
      contact: '+44 20 7946 0958',
      message: '',
    });
    const page = await admin(PHONE, '/admin');
    await adminSignIn(page);
    await extensionRow(page, FRONT_DESK.id).waitFor();
    await assertFitsWidth(page, 'Extensions');
    await docsScreenshot(page, 'admin-phone');
    for (const link of ['Live', 'Calls', 'Callback requests'] as const) {
      await goTo(page, link);
      await page.waitForTimeout(300);
      await assertFitsWidth(page, link);
    }
    // Both themes: the system's dark preference switches the page's colours (app.css; contrast.test.ts
    // checks every pair of both).
    const colours = () =>
      page.evaluate(() => {
        const style = getComputedStyle(document.querySelector('.admin-bar') as Element);
        return `${style.color} on ${style.backgroundColor}`;
      });
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await colours(), 'rgb(15, 23, 42) on rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await colours(), 'rgb(229, 236, 246) on rgb(19, 28, 46)');
    await docsScreenshot(page, 'admin-phone-dark', false);
    await page.emulateMedia({ colorScheme: 'light' });
    // Keyboard: the nav's links are reached with Tab and followed with Enter; focus goes to the heading.
    await page.getByRole('link', { name: 'Live', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Live' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'page-title');
    // Back and forward follow the history.
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Callback requests' }).waitFor();
    await page.locator('#callbacks-caption', { hasText: '1 request, newest first.' }).waitFor();

    // The admin is removed on the server (its sessions end): the next request goes back to sign-in.
    await server.store.removeAdmin(ADMIN.name);
    await page.getByRole('link', { name: 'Extensions', exact: true }).click();
    await page.getByRole('heading', { name: 'Admin sign-in' }).waitFor();
    await page.getByText('Your session has ended.').waitFor();
    assert.deepEqual(errors, []);
  });
  test('sign-in brute force: after five wrong passwords the form says signing in is blocked, the right one too', async (t) => {
    const { errors, admin } = await adminStage(t, browser);
    const page = await admin(LAPTOP, '/admin');
    await page.getByLabel('Admin name').fill(ADMIN.name);
    const alert = page.locator('#signin-notice');
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await page.getByLabel('Password').fill(`wrong ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await alert.filter({ hasText: 'do not match' }).waitFor();
    }
    await page.getByLabel('Password').fill('wrong 6');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await alert.filter({ hasText: 'Too many failed sign-in attempts' }).waitFor();
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-password');
    // Locked out: the right password is refused the same way, and nothing else shows.
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await alert.filter({ hasText: 'Too many failed sign-in attempts' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).isVisible(), false);
    assert.deepEqual(
      errors.filter((error) => !/status of 429/.test(error)),
      [],
    );
  });
});

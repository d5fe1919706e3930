// Drives the System Console "Mobile Security" page in headless Chromium (playwright-core).
// The Rust end-to-end test starts two servers and passes MAMGATE_URL (Enterprise Advanced
// license, Office365Settings.Enable on), MAMGATE_UNLICENSED_URL (no license), MAMGATE_TENANT_ID,
// MAMGATE_CLIENT_ID and MAMGATE_CHROMIUM (the browser binary).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.MAMGATE_URL;
const unlicensedUrl = process.env.MAMGATE_UNLICENSED_URL;
const tenantId = process.env.MAMGATE_TENANT_ID;
const clientId = process.env.MAMGATE_CLIENT_ID;
const executablePath = process.env.MAMGATE_CHROMIUM || '/usr/bin/chromium';
const shots = process.env.MAMGATE_SCREENSHOT_DIR || tmpdir();
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'Adm1n-password';

/** Runs `fn(page)` in a fresh browser profile (fresh --user-data-dir), closing it afterwards. */
async function withPage(fn) {
    const profile = await mkdtemp(join(tmpdir(), 'mamgate-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath, headless: true, args: ARGS, viewport: { width: 1200, height: 900 },
    });
    const errors = [];
    try {
        const page = context.pages()[0] || await context.newPage();
        page.setDefaultTimeout(10_000);
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${new URL(r.url()).pathname}`); });
        await fn(page, errors);
    } finally {
        await context.close();
        await rm(profile, { recursive: true, force: true });
    }
}

/** Creates the first user (the system admin) through the API. */
async function createAdmin(base) {
    const r = await fetch(`${base}/api/v4/users`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'admin', email: 'admin@contoso.com', password: PASSWORD }),
    });
    assert.equal(r.status, 201, await r.text());
}

async function clientConfig(base) {
    return (await fetch(`${base}/api/v4/config/client?format=old`)).json();
}

/** Opens /admin_console, lands on the page and signs in through the form. */
async function signIn(page, base) {
    await page.goto(`${base}/admin_console`);
    assert.equal(new URL(page.url()).pathname, '/admin_console/environment/mobile_security');
    await page.getByLabel('Email or username').fill('admin@contoso.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
}

test('Mobile Security page edits IntuneSettings with an Enterprise Advanced license', async () => {
    assert.ok(url && tenantId && clientId, 'MAMGATE_URL, MAMGATE_TENANT_ID and MAMGATE_CLIENT_ID are set');
    await createAdmin(url);
    await withPage(async (page, errors) => {
        // A wrong password is refused with the server's message.
        await page.goto(`${url}/admin_console/environment/mobile_security`);
        await page.getByLabel('Email or username').fill('admin');
        await page.getByLabel('Password').fill('wrong-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#sign-in-error').waitFor();

        await signIn(page, url);
        const form = page.locator('form#intune');
        await form.getByRole('heading', { name: 'Microsoft Intune' }).waitFor();
        const enable = page.getByLabel('Enable Microsoft Intune MAM');
        const auth = page.getByLabel('Auth Provider');
        const tenant = page.getByLabel('Tenant ID');
        const client = page.getByLabel('Application (Client) ID');
        const host = page.getByLabel('Authority Host');

        // Off: fields 2–4 disabled; only enabled providers are offered.
        assert.equal(await enable.isChecked(), false);
        for (const field of [auth, tenant, client, host]) assert.equal(await field.isDisabled(), true);
        assert.deepEqual(await auth.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent])),
            [['', 'Select an auth provider'], ['office365', 'OpenID Connect (Office 365)']]);
        assert.equal(await tenant.getAttribute('placeholder'), 'E.g.: "12345678-1234-1234-1234-123456789012"');
        assert.equal(await client.getAttribute('placeholder'), 'E.g.: "87654321-4321-4321-4321-210987654321"');
        assert.equal(await host.inputValue(), 'https://login.microsoftonline.com');
        assert.equal(await page.locator('#verdict-enabled').textContent(), 'false');

        // On, with an invalid Tenant ID: the server's validation id is shown and nothing is saved.
        await enable.check();
        assert.equal(await tenant.isDisabled(), false);
        await auth.selectOption('office365');
        await tenant.fill('not-a-tenant');
        await client.fill(clientId);
        await page.getByRole('button', { name: 'Save' }).click();
        const error = page.locator('#save-error');
        await error.waitFor();
        assert.equal(await page.locator('#save-error-id').textContent(), 'model.config.is_valid.intune_tenant_id_format.app_error');
        assert.ok((await page.locator('#save-error-message').textContent()).length > 0);
        assert.equal((await clientConfig(url)).IntuneMAMEnabled, 'false');
        await page.screenshot({ path: join(shots, 'mamgate-console-error.png'), fullPage: true });

        // Fixed: saved, and the client config now enables Intune MAM.
        await tenant.fill(tenantId);
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
        assert.equal(await error.isHidden(), true);
        await page.locator('#verdict-enabled', { hasText: 'true' }).waitFor();
        assert.equal(await page.locator('#verdict-scope').textContent(), `api://${clientId}/login.mattermost`);
        assert.equal(await page.locator('#verdict-auth').textContent(), 'office365');
        const shot = join(shots, 'mamgate-console-saved.png');
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`screenshot: ${shot}`);
        const cc = await clientConfig(url);
        assert.equal(cc.IntuneMAMEnabled, 'true');
        assert.equal(cc.IntuneScope, `api://${clientId}/login.mattermost`);

        // Reload: still signed in (cookie session), values persisted.
        await page.reload();
        await form.getByRole('heading', { name: 'Microsoft Intune' }).waitFor();
        assert.equal(await enable.isChecked(), true);
        assert.equal(await auth.inputValue(), 'office365');
        assert.equal(await tenant.inputValue(), tenantId);
        assert.equal(await client.inputValue(), clientId);
        assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);

        // Turning it off again saves too, and the fields are disabled again.
        await enable.uncheck();
        assert.equal(await tenant.isDisabled(), true);
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('#verdict-enabled', { hasText: 'false' }).waitFor();
        assert.equal((await clientConfig(url)).IntuneMAMEnabled, 'false');

        // Signing out ends the cookie session.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Email or username').waitFor();
        await page.reload();
        await page.getByLabel('Email or username').waitFor();
        // Only the expected refusals: no session yet, the wrong password, the invalid Tenant ID.
        assert.deepEqual(errors.filter((e) => e !== '401 /api/v4/users/me'),
            ['401 /api/v4/users/login', '400 /api/v4/config/patch']);
    });
});

test('Mobile Security page shows feature discovery without a license', async () => {
    assert.ok(unlicensedUrl, 'MAMGATE_UNLICENSED_URL is set');
    await createAdmin(unlicensedUrl);
    await withPage(async (page) => {
        await signIn(page, unlicensedUrl);
        await page.getByText('Protect mobile data with Microsoft Intune App Protection Policies (MAM) and Entra ID authentication').waitFor();
        assert.equal(await page.getByText('No license is installed.').isVisible(), true);
        assert.equal(await page.getByLabel('Enable Microsoft Intune MAM').isVisible(), false);
        const shot = join(shots, 'mamgate-console-discovery.png');
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`screenshot: ${shot}`);
    });
});

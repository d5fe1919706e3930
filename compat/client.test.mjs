// Drives a running mamgate server with the official @mattermost/client package.
// The Rust end-to-end test starts the server and passes MAMGATE_URL, MAMGATE_LICENSE
// (a license file signed by a trusted key) and MAMGATE_OBJECT_ID.
import test from 'node:test';
import assert from 'node:assert/strict';
import clientPkg from '@mattermost/client';

const { Client4 } = clientPkg;
const url = process.env.MAMGATE_URL;
const licenseText = process.env.MAMGATE_LICENSE;
const objectId = process.env.MAMGATE_OBJECT_ID;

function client() {
    const c = new Client4();
    c.setUrl(url);
    c.setIncludeCookies(false);
    return c;
}

async function rejectsWith(promise, status, id) {
    await assert.rejects(promise, (err) => {
        assert.equal(err.status_code, status, `status of ${err.server_error_id}: ${err.message}`);
        if (id) {
            assert.equal(err.server_error_id, id);
        }
        return true;
    });
}

test('@mattermost/client against mamgate', async () => {
    assert.ok(url, 'MAMGATE_URL is set');
    const c = client();

    // The first user becomes the system admin.
    const admin = await c.createUser({ username: 'admin', email: 'admin@contoso.com', password: 'Adm1n-password' });
    assert.equal(admin.username, 'admin');
    await c.login('admin', 'Adm1n-password');
    const me = await c.getMe();
    assert.equal(me.id, admin.id);
    assert.equal(me.roles, 'system_admin system_user');

    // A pre-provisioned SAML user keyed by objectId.
    const saml = await c.createUser({ username: 'adele', email: 'adele@contoso.com', auth_service: 'saml', auth_data: objectId });
    assert.equal(saml.auth_service, 'saml');
    assert.equal(saml.auth_data, objectId);

    const bot = await c.createBot({ username: 'robot', display_name: 'Robot' });
    assert.ok(bot.user_id);

    await c.updateUserActive(saml.id, false);
    const deactivated = await c.getUser(saml.id);
    assert.notEqual(deactivated.delete_at, 0);

    // Config: a valid change is saved, an invalid one is refused with the validation id.
    const config = await c.getConfig();
    config.TeamSettings.SiteName = 'Compat Chat';
    const saved = await c.updateConfig(config);
    assert.equal(saved.TeamSettings.SiteName, 'Compat Chat');
    const bad = structuredClone(saved);
    bad.IntuneSettings.Enable = true;
    bad.IntuneSettings.TenantId = 'contoso.onmicrosoft.com';
    await rejectsWith(c.updateConfig(bad), 400, 'model.config.is_valid.intune_tenant_id_format.app_error');

    // No license yet: no Intune keys in the client config.
    let clientConfig = await c.getClientConfig();
    assert.equal(clientConfig.SiteName, 'Compat Chat');
    assert.equal(clientConfig.IntuneMAMEnabled, undefined);

    await c.uploadLicense(new Blob([licenseText]));
    const license = await c.getClientLicenseOld();
    assert.equal(license.IsLicensed, 'true');
    assert.equal(license.SkuShortName, 'advanced');

    // Intune on with Office 365: the keys appear.
    const withIntune = await c.getConfig();
    withIntune.Office365Settings.Enable = true;
    withIntune.IntuneSettings.Enable = true;
    withIntune.IntuneSettings.TenantId = '11111111-2222-3333-4444-555555555555';
    withIntune.IntuneSettings.ClientId = '22222222-3333-4444-5555-666666666666';
    withIntune.IntuneSettings.AuthService = 'office365';
    await c.updateConfig(withIntune);
    clientConfig = await c.getClientConfig();
    assert.equal(clientConfig.IntuneMAMEnabled, 'true');
    assert.equal(clientConfig.IntuneScope, 'api://22222222-3333-4444-5555-666666666666/login.mattermost');
    assert.equal(clientConfig.IntuneAuthService, 'office365');

    await c.logout();
    await rejectsWith(c.getMe(), 401, 'api.context.session_expired.app_error');
});

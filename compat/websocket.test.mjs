// The official WebSocketClient receives config_changed and license_changed from mamgate.
import test from 'node:test';
import assert from 'node:assert/strict';
import clientPkg from '@mattermost/client';
import { WebSocket as NodeWebSocket } from 'ws';

// Node 20 has neither WebSocket nor CloseEvent as globals; the client expects both.
globalThis.WebSocket ??= NodeWebSocket;
globalThis.CloseEvent ??= class CloseEvent extends Event {
    constructor(type, init = {}) {
        super(type);
        this.code = init.code;
        this.wasClean = init.wasClean;
    }
};

const { Client4, WebSocketClient } = clientPkg;
const url = process.env.MAMGATE_URL;
const licenseText = process.env.MAMGATE_LICENSE;

function waitFor(events, name, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
            const found = events.find((e) => e.event === name);
            if (found) {
                resolve(found);
            } else if (Date.now() - started > timeoutMs) {
                reject(new Error(`no ${name} within ${timeoutMs} ms; got ${events.map((e) => e.event).join(',')}`));
            } else {
                setTimeout(tick, 20);
            }
        };
        tick();
    });
}

test('WebSocketClient receives config_changed and license_changed', async () => {
    const c = new Client4();
    c.setUrl(url);
    c.setIncludeCookies(false);
    await c.createUser({ username: 'wsadmin', email: 'wsadmin@contoso.com', password: 'Adm1n-password' });
    await c.login('wsadmin', 'Adm1n-password');

    const ws = new WebSocketClient();
    const events = [];
    ws.addMessageListener((msg) => events.push(msg));
    ws.initialize(url.replace(/^http/, 'ws') + '/api/v4/websocket', c.getToken());
    try {
        await waitFor(events, 'hello');

        const config = await c.getConfig();
        config.TeamSettings.SiteName = 'Events Chat';
        await c.updateConfig(config);
        const changed = await waitFor(events, 'config_changed');
        assert.equal(changed.data.config.SiteName, 'Events Chat');

        await c.uploadLicense(new Blob([licenseText]));
        const licensed = await waitFor(events, 'license_changed');
        assert.equal(licensed.data.license.IsLicensed, 'true');
        assert.equal(licensed.data.license.SkuShortName, 'advanced');

        // Enabling Intune flips IntuneMAMEnabled in the next config_changed.
        const enable = await c.getConfig();
        enable.Office365Settings.Enable = true;
        enable.IntuneSettings = { ...enable.IntuneSettings, Enable: true, AuthService: 'office365',
            TenantId: '11111111-2222-3333-4444-555555555555', ClientId: '22222222-3333-4444-5555-666666666666' };
        const before = events.length;
        await c.updateConfig(enable);
        const deadline = Date.now() + 5000;
        let flipped;
        while (!flipped && Date.now() < deadline) {
            flipped = events.slice(before).find((e) => e.event === 'config_changed' && e.data.config.IntuneMAMEnabled === 'true');
            await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(flipped, 'config_changed with IntuneMAMEnabled "true"');
        assert.equal(flipped.data.config.IntuneScope, 'api://22222222-3333-4444-5555-666666666666/login.mattermost');
    } finally {
        ws.close();
    }
});

// System Console "Mobile Security": cookie sign-in, license gate, IntuneSettings form.
'use strict';

// The server's root, so the console also works under a SiteURL sub-path.
const BASE = location.pathname.replace(/\/admin_console(\/.*)?$/, '');
// License tiers by SkuShortName; Intune needs Enterprise Advanced (30) or higher.
const TIERS = { professional: 10, enterprise: 20, entry: 30, advanced: 30 };
const ENTERPRISE_ADVANCED = 30;
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
// Form field id → IntuneSettings key.
const FIELDS = { enable: 'Enable', 'auth-service': 'AuthService', 'tenant-id': 'TenantId', 'client-id': 'ClientId', 'authority-host': 'AuthorityHost' };

const $ = (id) => document.getElementById(id);
const state = { config: null, saved: null, overridden: {} };

/** The value of a cookie, or ''. */
function cookie(name) {
    for (const part of document.cookie.split(';')) {
        const [k, ...v] = part.trim().split('=');
        if (k === name) return decodeURIComponent(v.join('='));
    }
    return '';
}

/** Calls the API with the session cookie; non-GET requests carry the MMCSRF token. */
async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = cookie('MMCSRF');
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
        res = await fetch(BASE + path, {
            method, headers, credentials: 'same-origin', cache: 'no-store',
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    } catch (e) {
        return { ok: false, status: 0, data: { message: `The server cannot be reached: ${e.message}` } };
    }
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    return { ok: res.ok, status: res.status, data: data || {} };
}

/** Shows exactly one of the main panels. */
function show(panel) {
    for (const id of ['loading', 'sign-in', 'discovery', 'intune']) $(id).hidden = id !== panel;
}

function fatal(text) {
    $('fatal').textContent = text;
    $('fatal').hidden = !text;
}

async function start() {
    const me = await api('GET', '/api/v4/users/me');
    if (me.status === 401) return showSignIn();
    if (!me.ok) return fatal(me.data.message || `Error ${me.status}`);
    await loadConsole(me.data);
}

function showSignIn() {
    $('who').hidden = true;
    show('sign-in');
    $('login-id').focus();
}

async function signIn(ev) {
    ev.preventDefault();
    $('sign-in-error').hidden = true;
    $('sign-in-button').disabled = true;
    const r = await api('POST', '/api/v4/users/login', { login_id: $('login-id').value.trim(), password: $('password').value });
    $('sign-in-button').disabled = false;
    if (!r.ok) {
        $('sign-in-error').textContent = r.data.message || `Sign-in failed (${r.status})`;
        $('sign-in-error').hidden = false;
        return;
    }
    $('password').value = '';
    await loadConsole(r.data);
}

async function signOut() {
    await api('POST', '/api/v4/users/logout');
    fatal('');
    showSignIn();
}

async function loadConsole(user) {
    $('who-name').textContent = user.username || '';
    $('who').hidden = false;
    if (!String(user.roles || '').split(' ').includes('system_admin')) {
        show('');
        return fatal('The System Console needs a system admin account.');
    }
    fatal('');
    const license = await api('GET', '/api/v4/license/client?format=old');
    const tier = license.data.IsLicensed === 'true' ? (TIERS[license.data.SkuShortName] || 0) : 0;
    if (tier < ENTERPRISE_ADVANCED) {
        $('discovery-license').textContent = license.data.IsLicensed === 'true'
            ? `Current license: ${license.data.SkuName || license.data.SkuShortName}.` : 'No license is installed.';
        return show('discovery');
    }
    const [config, env] = await Promise.all([api('GET', '/api/v4/config'), api('GET', '/api/v4/config/environment')]);
    if (config.status === 401) return showSignIn();
    if (!config.ok) return fatal(config.data.message || `Error ${config.status}`);
    state.config = config.data;
    state.overridden = (env.ok && env.data.IntuneSettings) || {};
    fillForm(config.data.IntuneSettings || {});
    show('intune');
    await showVerdict();
}

/** Puts saved IntuneSettings into the form. */
function fillForm(s) {
    const o365 = state.config.Office365Settings || {};
    const saml = state.config.SamlSettings || {};
    const select = $('auth-service');
    select.replaceChildren(new Option('Select an auth provider', ''));
    if (o365.Enable) select.add(new Option('OpenID Connect (Office 365)', 'office365'));
    if (saml.Enable) select.add(new Option('SAML 2.0', 'saml'));
    if (s.AuthService && ![...select.options].some((o) => o.value === s.AuthService)) {
        select.add(new Option(`${s.AuthService} (not enabled)`, s.AuthService));
    }
    $('enable').checked = !!s.Enable;
    select.value = s.AuthService || '';
    $('tenant-id').value = s.TenantId || '';
    $('client-id').value = s.ClientId || '';
    $('authority-host').value = s.AuthorityHost || DEFAULT_AUTHORITY_HOST;
    state.saved = JSON.stringify(formValues());
    for (const el of document.querySelectorAll('.overridden')) el.remove();
    for (const [id, key] of Object.entries(FIELDS)) {
        if (!state.overridden[key]) continue;
        const note = document.createElement('p');
        note.className = 'overridden';
        note.textContent = `Set by the environment variable MM_INTUNESETTINGS_${key.toUpperCase()}; it cannot be changed here.`;
        $(id).closest('.setting > div').append(note);
    }
    refresh();
}

/** IntuneSettings as the form shows them. */
function formValues() {
    return {
        Enable: $('enable').checked,
        AuthService: $('auth-service').value,
        TenantId: $('tenant-id').value.trim(),
        ClientId: $('client-id').value.trim(),
        AuthorityHost: $('authority-host').value.trim() || DEFAULT_AUTHORITY_HOST,
    };
}

/** Office 365 defaults: with OpenID Connect picked and no Tenant ID yet, reuse the Office 365 app's IDs. */
function prefill() {
    const o365 = state.config.Office365Settings || {};
    if (!$('enable').checked || $('auth-service').value !== 'office365' || $('tenant-id').value !== '') return;
    if (o365.DirectoryId) $('tenant-id').value = o365.DirectoryId;
    if (!$('client-id').value && o365.Id) $('client-id').value = o365.Id;
}

/** Enables fields 2–5 only while Enable is on, and Save only when something changed. */
function refresh() {
    const on = $('enable').checked;
    for (const [id, key] of Object.entries(FIELDS)) {
        $(id).disabled = !!state.overridden[key] || (id !== 'enable' && !on);
    }
    $('save').disabled = JSON.stringify(formValues()) === state.saved;
}

function onEdit(ev) {
    if (ev.target.id === 'enable' || ev.target.id === 'auth-service') prefill();
    $('saved').textContent = '';
    refresh();
}

async function save(ev) {
    ev.preventDefault();
    $('save-error').hidden = true;
    $('saved').textContent = '';
    $('save').disabled = true;
    const values = formValues();
    const patch = {};
    for (const [key, value] of Object.entries(values)) if (!state.overridden[key]) patch[key] = value;
    const r = await api('PUT', '/api/v4/config/patch', { IntuneSettings: patch });
    if (r.status === 401) return showSignIn();
    if (!r.ok) {
        $('save-error-message').textContent = r.data.message || `Saving failed (${r.status})`;
        $('save-error-id').textContent = r.data.id || '';
        $('save-error').hidden = false;
        refresh();
        return;
    }
    state.config = r.data;
    fillForm(r.data.IntuneSettings || {});
    $('saved').textContent = 'Saved';
    await showVerdict();
}

/** Shows the Intune keys of the client config, as Mattermost Mobile reads them. */
async function showVerdict() {
    const r = await api('GET', '/api/v4/config/client?format=old');
    if (!r.ok) return;
    $('verdict-enabled').textContent = r.data.IntuneMAMEnabled ?? '(absent)';
    $('verdict-scope').textContent = r.data.IntuneScope ?? '(absent)';
    $('verdict-auth').textContent = r.data.IntuneAuthService ?? '(absent)';
    $('verdict').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
    $('sign-in').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('intune').addEventListener('submit', save);
    $('intune').addEventListener('input', onEdit);
    $('intune').addEventListener('change', onEdit);
    start();
});

-- Users: 26-char ids; lookups by (auth_service, auth_data) and lower(email) are index seeks
-- so 1,000,000 users cost the same as 1,000 (PERFORMANCE.md P3). WITHOUT ROWID stores the rows
-- in id order, so scan_users reads the table sequentially instead of jumping from an id index
-- into a rowid table once per user (1,000,000 users: 8.1 s before, 5.8 s after, 2.3 s with mmap).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    create_at INTEGER NOT NULL DEFAULT 0,
    update_at INTEGER NOT NULL DEFAULT 0,
    delete_at INTEGER NOT NULL DEFAULT 0,
    username TEXT NOT NULL,
    password TEXT NOT NULL DEFAULT '',
    auth_data TEXT NOT NULL DEFAULT '',
    auth_service TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    email_verified INTEGER NOT NULL DEFAULT 0,
    nickname TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT '',
    is_bot INTEGER NOT NULL DEFAULT 0,
    props TEXT NOT NULL DEFAULT '{}',
    notify_props TEXT NOT NULL DEFAULT '{}',
    timezone TEXT NOT NULL DEFAULT '{}',
    last_password_update INTEGER NOT NULL DEFAULT 0,
    last_login INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email <> '';
CREATE UNIQUE INDEX users_auth_key ON users (auth_service, auth_data) WHERE auth_data <> '';

-- Sessions keep only the token hash; revoked sessions are deleted.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    create_at INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL DEFAULT 0,
    device_id TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    csrf_token TEXT NOT NULL DEFAULT '',
    is_oauth INTEGER NOT NULL DEFAULT 0,
    props TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX sessions_token_key ON sessions (token_hash);
CREATE INDEX sessions_user_device_idx ON sessions (user_id, device_id);

-- seq orders audits written in the same millisecond.
CREATE TABLE audits (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    create_at INTEGER NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    error_id TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    device_id TEXT NOT NULL DEFAULT '',
    ip_address TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audits_create_at_idx ON audits (create_at DESC, seq DESC);

CREATE TABLE license (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    file TEXT NOT NULL
);

CREATE TABLE config (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    document TEXT NOT NULL
);

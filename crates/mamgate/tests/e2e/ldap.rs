//! `mamgate ldap sync` against a real OpenLDAP (its own slapd on a free loopback port), then
//! the periodic sync of the server and a mobile Intune sign-in finding the synced user.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, LdapConnSettings, Mod};
use mamgate_core::config::Config;
use mamgate_core::license::{self, Customer, License};
use mamgate_core::model::{Session, User};
use mamgate_emulators::tenant as ex;
use mamgate_server::{ConfigSource, ServerOptions, Settings};
use mamgate_store::Store;
use serde_json::{json, Value};

const SLAPD: &str = "/usr/sbin/slapd";
const BASE: &str = "dc=contoso,dc=example";
const ADMIN: &str = "cn=admin,dc=contoso,dc=example";
const PASSWORD: &str = "s3cret-admin";
/// Bob's objectId, stored in the directory as 16 bytes in AD's mixed-endian layout.
const BOB_OID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const CAROL_OID: &str = "c4a7e1d2-0b3f-4e5a-9c8d-7e6f5a4b3c2d";

/// `msDS-aadObjectId` is AD's, not OpenLDAP's: a test schema under a private OID arc.
const AAD_SCHEMA: &str = "\
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'msDS-aadObjectId'
  EQUALITY octetStringMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'aadUser' SUP top AUXILIARY
  MAY ( msDS-aadObjectId ) )
";

/// A private slapd, killed on drop: `ldap://` on `port`, `ldaps://` on `tls_port`, with a
/// server certificate for 127.0.0.1 signed by the test CA in `ca`.
struct Slapd {
    child: Child,
    port: u16,
    tls_port: u16,
    ca: PathBuf,
    /// `security tls=1`: every operation must run over TLS (LDAPS or after STARTTLS).
    require_tls: bool,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command-line tool");
    assert!(o.status.success(), "openssl {args:?}: {}", text(&o));
}

/// A test CA (`ca.pem`) and a server certificate for IP 127.0.0.1 (`server.pem`, `server.key`).
fn make_certificates(d: &Path) {
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=mamgate test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        d.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Slapd {
    /// Starts slapd, or `None` (test skipped) when it is not installed.
    fn start() -> Option<Slapd> {
        Self::start_with(false)
    }

    /// As `start`; with `require_tls`, slapd refuses any operation not protected by TLS.
    fn start_with(require_tls: bool) -> Option<Slapd> {
        if !Path::new(SLAPD).exists() {
            assert!(
                std::env::var_os("MAMGATE_REQUIRE_SLAPD").is_none(),
                "MAMGATE_REQUIRE_SLAPD is set but {SLAPD} is missing (apt-get install slapd ldap-utils)"
            );
            eprintln!("SKIPPED: {SLAPD} is missing (apt-get install slapd ldap-utils)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("db")).unwrap();
        std::fs::write(d.join("aad.schema"), AAD_SCHEMA).unwrap();
        make_certificates(d);
        let security = if require_tls { "security tls=1\n" } else { "" };
        let modules = if Path::new("/usr/lib/ldap/back_mdb.so").exists() {
            "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        } else {
            ""
        };
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include {d}/aad.schema\n\
             pidfile {d}/slapd.pid\n\
             TLSCACertificateFile {d}/ca.pem\n\
             TLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n\
             {security}\
             {modules}\
             database mdb\n\
             maxsize 16777216\n\
             suffix \"{BASE}\"\n\
             rootdn \"{ADMIN}\"\n\
             rootpw {PASSWORD}\n\
             directory {d}/db\n",
            d = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        let port = free_port();
        let tls_port = free_port();
        let listeners = format!("ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/");
        // -d 0 keeps slapd in the foreground (so it dies with the Child) without debug output.
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .args(["-h", &listeners, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut slapd = Slapd {
            child,
            port,
            tls_port,
            ca: d.join("ca.pem"),
            require_tls,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err()
        {
            if let Ok(Some(status)) = slapd.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = slapd.child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                panic!("slapd exited ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "slapd did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(slapd)
    }

    async fn admin(&self) -> ldap3::Ldap {
        // The test's own admin connection does not check the certificate; mamgate's sync does.
        let (conn, mut ldap) = if self.require_tls {
            LdapConnAsync::with_settings(
                LdapConnSettings::new().set_no_tls_verify(true),
                &format!("ldaps://127.0.0.1:{}", self.tls_port),
            )
            .await
            .unwrap()
        } else {
            LdapConnAsync::new(&format!("ldap://127.0.0.1:{}", self.port))
                .await
                .unwrap()
        };
        ldap3::drive!(conn);
        ldap.simple_bind(ADMIN, PASSWORD)
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

type Attrs = Vec<(Vec<u8>, HashSet<Vec<u8>>)>;

fn attrs(pairs: &[(&str, &[u8])]) -> Attrs {
    let mut out: Attrs = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(n, _)| n == k.as_bytes()) {
            Some((_, set)) => {
                set.insert(v.to_vec());
            }
            None => out.push((k.as_bytes().to_vec(), HashSet::from([v.to_vec()]))),
        }
    }
    out
}

async fn add(ldap: &mut ldap3::Ldap, dn: &str, pairs: &[(&str, &[u8])]) {
    ldap.add(dn, attrs(pairs))
        .await
        .unwrap()
        .success()
        .unwrap_or_else(|e| panic!("add {dn}: {e}"));
}

/// A person with `msDS-aadObjectId` = `id` (text or bytes); `None` leaves it out.
async fn add_person(ldap: &mut ldap3::Ldap, uid: &str, given: &str, sn: &str, id: Option<&[u8]>) {
    let dn = format!("uid={uid},ou=users,{BASE}");
    let mail = format!("{uid}@contoso.example");
    let cn = format!("{given} {sn}");
    let mut pairs: Vec<(&str, &[u8])> = vec![
        ("objectClass", b"inetOrgPerson"),
        ("uid", uid.as_bytes()),
        ("cn", cn.as_bytes()),
        ("givenName", given.as_bytes()),
        ("sn", sn.as_bytes()),
        ("mail", mail.as_bytes()),
    ];
    if let Some(id) = id {
        pairs.push(("objectClass", b"aadUser"));
        pairs.push(("msDS-aadObjectId", id));
    }
    add(ldap, &dn, &pairs).await;
}

/// AD's binary GUID layout: the first three fields byte-swapped.
fn mixed_endian(guid: &str) -> Vec<u8> {
    let hex: String = guid.chars().filter(|c| *c != '-').collect();
    let b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    order.iter().map(|&i| b[i]).collect()
}

async fn seed_directory(slapd: &Slapd) {
    let mut ldap = slapd.admin().await;
    add(
        &mut ldap,
        BASE,
        &[
            ("objectClass", b"dcObject"),
            ("objectClass", b"organization"),
            ("dc", b"contoso"),
            ("o", b"Contoso"),
        ],
    )
    .await;
    add(
        &mut ldap,
        &format!("ou=users,{BASE}"),
        &[("objectClass", b"organizationalUnit"), ("ou", b"users")],
    )
    .await;
    // Alice's objectId in upper case: stored lower-case.
    let alice = ex::ALICE_OID.to_ascii_uppercase();
    add_person(&mut ldap, "alice", "Alice", "Smith", Some(alice.as_bytes())).await;
    let bob = mixed_endian(BOB_OID);
    assert!(
        std::str::from_utf8(&bob).is_err(),
        "the test wants a non-UTF-8 value"
    );
    add_person(&mut ldap, "bob", "Bob", "Jones", Some(&bob)).await;
    add_person(
        &mut ldap,
        "carol",
        "Carol",
        "White",
        Some(CAROL_OID.as_bytes()),
    )
    .await;
    // No msDS-aadObjectId: skipped and counted as refused.
    add_person(&mut ldap, "dave", "Dave", "NoId", None).await;
    let _ = ldap.unbind().await;
}

fn config_json(port: u16, overrides: Value) -> Value {
    let mut c = json!({
        "SqlSettings": {"DriverName": "sqlite", "DataSource": "mamgate.db"},
        "SamlSettings": {"EnableSyncWithLdap": true},
        "LdapSettings": {
            "Enable": true, "EnableSync": true,
            "LdapServer": "127.0.0.1", "LdapPort": port,
            "BaseDN": BASE, "BindUsername": ADMIN, "BindPassword": PASSWORD,
            "UserFilter": "(objectClass=inetOrgPerson)",
            "IdAttribute": "msDS-aadObjectId", "UsernameAttribute": "uid",
            "EmailAttribute": "mail", "FirstNameAttribute": "givenName", "LastNameAttribute": "sn",
            "SyncIntervalMinutes": 60
        }
    });
    if let Value::Object(o) = overrides {
        for (k, v) in o {
            c["LdapSettings"][k] = v;
        }
    }
    c
}

fn sync(dir: &Path, config: &Value) -> Output {
    sync_trusting(dir, config, None)
}

/// `mamgate ldap sync`; `ca` becomes its whole trust store (SSL_CERT_FILE, read by
/// rustls-native-certs), `None` leaves the system store, which does not know the test CA.
fn sync_trusting(dir: &Path, config: &Value, ca: Option<&Path>) -> Output {
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mamgate"));
    cmd.args(["ldap", "sync", "--config", "config.json"])
        .current_dir(dir)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(ca) = ca {
        cmd.env("SSL_CERT_FILE", ca);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn open(dir: &Path) -> Arc<dyn Store> {
    mamgate_store::open_store("sqlite", dir.join("mamgate.db").to_str().unwrap())
        .await
        .unwrap()
}

async fn saml_user(store: &dyn Store, oid: &str) -> User {
    store
        .get_user_by_auth("saml", oid)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no saml user {oid}"))
}

async fn snapshot(dir: &Path) -> Vec<User> {
    let store = open(dir).await;
    let mut users = Vec::new();
    store
        .scan_users(&mut |u: &User| users.push(u.clone()))
        .await
        .unwrap();
    users
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_sync_end_to_end() {
    let Some(slapd) = Slapd::start() else { return };
    seed_directory(&slapd).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let good = config_json(slapd.port, json!({}));

    // objectGUID as IdAttribute: refused by name, nothing synced.
    let o = sync(
        dir,
        &config_json(slapd.port, json!({"IdAttribute": "objectGUID"})),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ent.ldap.sync.object_guid_id_attribute.app_error"),
        "{}",
        text(&o)
    );
    assert!(snapshot(dir).await.is_empty());

    // First sync: three users, Dave (no objectId) refused.
    let o = sync(dir, &good);
    eprintln!("first sync:\n{}", text(&o));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("created 3, updated 0, deactivated 0, reactivated 0, refused 1"),
        "{}",
        text(&o)
    );
    let store = open(dir).await;
    let alice = saml_user(store.as_ref(), ex::ALICE_OID).await;
    assert_eq!(
        (alice.username.as_str(), alice.email.as_str()),
        ("alice", "alice@contoso.example")
    );
    assert_eq!(
        (alice.first_name.as_str(), alice.last_name.as_str()),
        ("Alice", "Smith")
    );
    let bob = saml_user(store.as_ref(), BOB_OID).await;
    assert_eq!(bob.username, "bob");
    let carol = saml_user(store.as_ref(), CAROL_OID).await;
    for u in snapshot(dir).await {
        assert_eq!(u.auth_service, "saml");
        assert_eq!(u.auth_data, u.auth_data.to_ascii_lowercase());
    }
    // Carol signs in somewhere: her session must die with her account.
    let token_hash = mamgate_store::hash_token("carol-session-token");
    let now = mamgate_server::state::now_ms();
    store
        .create_session(
            Session {
                id: mamgate_store::new_id(),
                token_hash: token_hash.clone(),
                user_id: carol.id.clone(),
                create_at: now,
                expires_at: now + 3_600_000,
                last_activity_at: now,
                device_id: "apple_rn-v2:carol".into(),
                roles: "system_user".into(),
                ..Session::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(store
        .get_session_by_token_hash(&token_hash)
        .await
        .unwrap()
        .is_some());
    drop(store);

    // A wrong bind password: a clear error, nothing changed.
    let before = snapshot(dir).await;
    let o = sync(
        dir,
        &config_json(slapd.port, json!({"BindPassword": "wrong"})),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ent.ldap.do_login.bind_admin_user.app_error"),
        "{}",
        text(&o)
    );
    // A broken search (bad BaseDN): nobody is deactivated.
    let o = sync(
        dir,
        &config_json(
            slapd.port,
            json!({"BaseDN": "ou=nowhere,dc=contoso,dc=example"}),
        ),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ent.ldap.syncronize.search_failure.app_error"),
        "{}",
        text(&o)
    );
    assert_eq!(snapshot(dir).await, before);

    // The directory changes: Bob is renamed, Carol leaves.
    let mut ldap = slapd.admin().await;
    ldap.modify(
        &format!("uid=bob,ou=users,{BASE}"),
        vec![Mod::Replace("sn", HashSet::from(["Brown"]))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.delete(&format!("uid=carol,ou=users,{BASE}"))
        .await
        .unwrap()
        .success()
        .unwrap();
    let o = sync(dir, &good);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("created 0, updated 1, deactivated 1, reactivated 0, refused 1"),
        "{}",
        text(&o)
    );
    let store = open(dir).await;
    assert_eq!(saml_user(store.as_ref(), BOB_OID).await.last_name, "Brown");
    let carol = saml_user(store.as_ref(), CAROL_OID).await;
    assert!(carol.delete_at != 0, "Carol is not deactivated");
    assert!(store
        .get_session_by_token_hash(&token_hash)
        .await
        .unwrap()
        .is_none());

    // Carol comes back: reactivated, not duplicated.
    add_person(
        &mut ldap,
        "carol",
        "Carol",
        "White",
        Some(CAROL_OID.as_bytes()),
    )
    .await;
    drop(store);
    let o = sync(dir, &good);
    assert!(
        text(&o).contains("created 0, updated 0, deactivated 0, reactivated 1"),
        "{}",
        text(&o)
    );

    // The server's periodic sync picks up a change at start-up; then Alice's Intune sign-in
    // (token oid = her objectId) lands on the very user LDAP created.
    ldap.modify(
        &format!("uid=alice,ou=users,{BASE}"),
        vec![Mod::Replace("sn", HashSet::from(["Smith-Jones"]))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let _ = ldap.unbind().await;
    identity_consistency(dir, &good, &alice).await;
}

/// Starts the server on the synced store with Intune (saml) and the Entra emulator.
async fn identity_consistency(dir: &Path, ldap_config: &Value, alice: &User) {
    let tenant = mamgate_emulators::shared(mamgate_emulators::example_tenant("http://127.0.0.1"));
    let entra = mamgate_emulators::start_entra(tenant, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let key = license::signing_key_from_seed([9; 32]);
    let mut config: Config = Config::from_value(ldap_config.clone()).unwrap();
    config.intune_settings.enable = true;
    config.intune_settings.tenant_id = ex::EXAMPLE_TENANT_ID.into();
    config.intune_settings.client_id = ex::EXAMPLE_SERVER_APP_ID.into();
    config.intune_settings.auth_service = "saml".into();
    config.intune_settings.authority_host = entra.url.clone();
    config.saml_settings.enable = true;
    config.saml_settings.id_attribute = mamgate_core::identity::SAML_OBJECT_ID_CLAIM.into();
    config.license_settings.trusted_public_keys =
        vec![license::encode_public_key(&key.verifying_key())];
    let store = open(dir).await;
    let file = License {
        id: "lic".into(),
        issued_at: 0,
        starts_at: 0,
        expires_at: i64::MAX / 2,
        customer: Customer {
            id: "c".into(),
            name: "Contoso".into(),
            ..Default::default()
        },
        sku_short_name: "advanced".into(),
        sku_name: license::sku_name("advanced").into(),
        signed_by: String::new(),
    }
    .sign(&key);
    store.set_license(Some(file)).await.unwrap();
    let settings = Settings::new(ConfigSource::Memory, config, Vec::new()).unwrap();
    let server = mamgate_server::start(ServerOptions {
        store: store.clone(),
        settings,
        listen: "127.0.0.1:0".into(),
    })
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let u = saml_user(store.as_ref(), ex::ALICE_OID).await;
        if u.last_name == "Smith-Jones" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the periodic sync did not update Alice"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let minted: Value = http
        .post(format!("{}/_control/mint", entra.url))
        .json(
            &json!({"as": {"username": ex::ALICE_UPN, "client_id": ex::OFFICIAL_CLIENT_ID,
            "scope": format!("api://{}/login.mattermost", ex::EXAMPLE_SERVER_APP_ID)}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["token"].as_str().unwrap();
    let r = http
        .post(format!("{}/oauth/intune", server.url))
        .json(
            &json!({"access_token": token, "device_id": "apple_rn-v2:alice", "voip_device_id": ""}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], alice.id, "{body}");
    assert_eq!(body["auth_service"], "saml", "{body}");
    assert_eq!(store.count_users().await.unwrap(), 3, "no duplicate user");
    server.stop().await;
    entra.shutdown().await;
}

/// LDAPS and STARTTLS against a slapd that refuses anything not protected by TLS; the server
/// certificate (IP 127.0.0.1) is verified against the test CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_sync_over_tls() {
    let Some(slapd) = Slapd::start_with(true) else {
        return;
    };
    seed_directory(&slapd).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let ca = slapd.ca.as_path();
    let ldaps = config_json(slapd.tls_port, json!({"ConnectionSecurity": "TLS"}));
    let starttls = config_json(slapd.port, json!({"ConnectionSecurity": "STARTTLS"}));
    let untrusted = |o: &Output| {
        assert!(!o.status.success(), "{}", text(o));
        let t = text(o);
        assert!(
            t.contains("ent.ldap.do_login.unable_to_connect.app_error")
                && t.contains("certificate is not trusted")
                && t.contains("UnknownIssuer"),
            "{t}"
        );
    };

    // The server is TLS-only: plain LDAP does not get through the bind.
    let o = sync(dir, &config_json(slapd.port, json!({})));
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ent.ldap.do_login.bind_admin_user.app_error"),
        "{}",
        text(&o)
    );

    // An unknown ConnectionSecurity is refused before connecting.
    let o = sync_trusting(
        dir,
        &config_json(slapd.tls_port, json!({"ConnectionSecurity": "SSL"})),
        Some(ca),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ent.ldap.sync.not_configured.app_error"),
        "{}",
        text(&o)
    );

    // The test CA is not trusted: LDAPS and STARTTLS are refused, nothing is synced.
    untrusted(&sync_trusting(dir, &ldaps, None));
    untrusted(&sync_trusting(dir, &starttls, None));
    assert!(snapshot(dir).await.is_empty());

    // LDAPS with the test CA trusted: the certificate for 127.0.0.1 is accepted.
    let o = sync_trusting(dir, &ldaps, Some(ca));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("created 3, updated 0, deactivated 0, reactivated 0, refused 1"),
        "{}",
        text(&o)
    );
    assert_eq!(snapshot(dir).await.len(), 3);

    // STARTTLS on the plain port sees the change.
    let mut ldap = slapd.admin().await;
    ldap.modify(
        &format!("uid=bob,ou=users,{BASE}"),
        vec![Mod::Replace("sn", HashSet::from(["Brown"]))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let _ = ldap.unbind().await;
    let o = sync_trusting(dir, &starttls, Some(ca));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("created 0, updated 1, deactivated 0, reactivated 0, refused 1"),
        "{}",
        text(&o)
    );
    let store = open(dir).await;
    assert_eq!(saml_user(store.as_ref(), BOB_OID).await.last_name, "Brown");
    drop(store);

    // SkipCertificateVerification: the untrusted certificate is accepted (and logged).
    let mut skip = ldaps.clone();
    skip["LdapSettings"]["SkipCertificateVerification"] = json!(true);
    let o = sync_trusting(dir, &skip, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("created 0, updated 0, deactivated 0, reactivated 0, refused 1"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("SkipCertificateVerification"),
        "{}",
        text(&o)
    );
}

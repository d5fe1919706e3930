//! The Store conformance suite: every case runs against SQLite and PostgreSQL.

use crate::harness::{session, user};
use mamgate_core::model::{Audit, AuditStatus, User};
use mamgate_store::{hash_token, Page, Store, StoreError};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinSet;

type S = Arc<dyn Store>;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let h = crate::harness::SqliteHarness::new();
                    super::$case(h.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(h) = crate::harness::PostgresHarness::new(stringify!($case)).await else {
                        return;
                    };
                    super::$case(h.store.clone()).await;
                    h.finish().await;
                }
            )*
        }
    };
}

conformance!(
    user_crud,
    unique_conflicts,
    first_user_promoted_once,
    first_user_promoted_once_concurrently,
    get_or_create_by_auth_concurrently,
    get_or_create_by_auth_email_conflict,
    sessions_create_get_revoke,
    device_id_revokes_older_sessions,
    deactivation_revokes_sessions,
    audits_newest_first_with_paging,
    license_and_config_round_trip,
    scan_users_visits_every_user_once,
    failed_write_leaves_store_unchanged,
    conflicts_do_not_fail_their_group,
    group_commit_of_1000_sessions,
);

fn page(page: u32, per_page: u32) -> Page {
    Page { page, per_page }
}

async fn user_crud(s: S) {
    let mut u = user(1);
    u.props.insert("k".into(), json!("v"));
    u.timezone
        .insert("useAutomaticTimezone".into(), json!("true"));
    u.password = "$argon2id$fake".into();
    let created = s.create_user(u.clone(), false).await.unwrap();
    assert_eq!(created, u);

    assert_eq!(s.get_user(&u.id).await.unwrap().as_ref(), Some(&u));
    assert_eq!(s.get_user("nope").await.unwrap(), None);
    assert_eq!(
        s.get_user_by_auth("office365", &u.auth_data)
            .await
            .unwrap()
            .as_ref(),
        Some(&u)
    );
    assert_eq!(
        s.get_user_by_auth("saml", &u.auth_data).await.unwrap(),
        None
    );
    assert_eq!(s.get_user_by_auth("office365", "").await.unwrap(), None);
    assert_eq!(
        s.get_user_by_login("USER1@Example.COM")
            .await
            .unwrap()
            .as_ref(),
        Some(&u)
    );
    assert_eq!(
        s.get_user_by_login("user1").await.unwrap().as_ref(),
        Some(&u)
    );
    assert_eq!(s.get_user_by_login("").await.unwrap(), None);

    let mut changed = u.clone();
    changed.nickname = "nick".into();
    changed.email = "new@example.com".into();
    changed.update_at = 5_000;
    changed.create_at = 1; // not changeable
    let updated = s.update_user(changed.clone()).await.unwrap();
    assert_eq!(updated.nickname, "nick");
    assert_eq!(updated.create_at, u.create_at);
    assert_eq!(updated.update_at, 5_000);
    assert_eq!(
        s.get_user_by_login("new@example.com")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(u.id.clone())
    );
    assert_eq!(
        s.get_user_by_login("user1@example.com").await.unwrap(),
        None
    );

    let mut ghost = user(99);
    ghost.id = "ghost".into();
    assert!(matches!(
        s.update_user(ghost).await,
        Err(StoreError::NotFound)
    ));

    for n in 2..=5 {
        s.create_user(user(n), false).await.unwrap();
    }
    assert_eq!(s.count_users().await.unwrap(), 5);
    let first: Vec<String> = s
        .list_users(page(0, 2))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    let second: Vec<String> = s
        .list_users(page(1, 2))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    let last: Vec<String> = s
        .list_users(page(2, 2))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(first, ["user1", "user2"]);
    assert_eq!(second, ["user3", "user4"]);
    assert_eq!(last, ["user5"]);
    assert!(s.list_users(page(0, 0)).await.unwrap().is_empty());
}

async fn unique_conflicts(s: S) {
    let a = s.create_user(user(1), false).await.unwrap();

    let mut same_name = user(2);
    same_name.username = a.username.clone();
    assert_conflict(s.create_user(same_name, false).await, "username");

    let mut same_email = user(3);
    same_email.email = a.email.to_uppercase();
    assert_conflict(s.create_user(same_email, false).await, "email");

    let mut same_auth = user(4);
    same_auth.auth_data = a.auth_data.clone();
    assert_conflict(s.create_user(same_auth, false).await, "auth");

    let mut same_id = user(5);
    same_id.id = a.id.clone();
    assert!(matches!(
        s.create_user(same_id, false).await,
        Err(StoreError::Conflict(_))
    ));

    // Empty emails and empty auth keys are not unique values.
    for n in 10..13 {
        let mut local = user(n);
        local.email.clear();
        local.auth_data.clear();
        local.auth_service.clear();
        s.create_user(local, false).await.unwrap();
    }
    // The same auth_data under another service is another account.
    let mut other_service = user(20);
    other_service.auth_service = "saml".into();
    other_service.auth_data = a.auth_data.clone();
    s.create_user(other_service, false).await.unwrap();

    let b = s.create_user(user(30), false).await.unwrap();
    let mut clash = b.clone();
    clash.username = a.username.clone();
    assert_conflict(s.update_user(clash).await, "username");
    let mut clash = b.clone();
    clash.email = a.email.clone();
    assert_conflict(s.update_user(clash).await, "email");
    assert_eq!(s.get_user(&b.id).await.unwrap(), Some(b));
    assert_eq!(s.count_users().await.unwrap(), 6);
}

fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str) {
    match r {
        Err(StoreError::Conflict(f)) => assert_eq!(f, field),
        other => panic!("expected Conflict({field}), got {other:?}"),
    }
}

async fn first_user_promoted_once(s: S) {
    let first = s.create_user(user(1), true).await.unwrap();
    assert!(first.is_system_admin());
    assert_eq!(first.roles, "system_admin system_user");
    assert!(s
        .get_user(&first.id)
        .await
        .unwrap()
        .unwrap()
        .is_system_admin());
    assert_conflict(s.create_user(user(2), true).await, "first_user");
    assert_eq!(s.count_users().await.unwrap(), 1);
    let second = s.create_user(user(2), false).await.unwrap();
    assert_eq!(second.roles, "system_user");
}

async fn first_user_promoted_once_concurrently(s: S) {
    let mut set = JoinSet::new();
    for n in 0..20 {
        let s = s.clone();
        set.spawn(async move { s.create_user(user(n), true).await });
    }
    let results = set.join_all().await;
    let users: Vec<&User> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(
        users.len(),
        1,
        "exactly one concurrent first sign-up succeeds"
    );
    assert!(users[0].is_system_admin());
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Conflict("first_user"))));
    assert_eq!(s.count_users().await.unwrap(), 1);
    let mut stored = 0;
    s.scan_users(&mut |u: &User| stored += usize::from(u.is_system_admin()))
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

async fn get_or_create_by_auth_concurrently(s: S) {
    let mut set = JoinSet::new();
    for n in 0..50 {
        let s = s.clone();
        set.spawn(async move {
            // Same key and email, a different id and username each: exactly one must win.
            let mut u = user(7);
            u.username = format!("jit{n}");
            s.get_or_create_by_auth(u).await.unwrap()
        });
    }
    let results = set.join_all().await;
    let ids: HashSet<&str> = results.iter().map(|r| r.user.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "all callers get the same user");
    assert_eq!(results.iter().filter(|r| r.created).count(), 1);
    assert_eq!(s.count_users().await.unwrap(), 1);

    let again = s.get_or_create_by_auth(user(7)).await.unwrap();
    assert!(!again.created);
    assert!(ids.contains(again.user.id.as_str()));
}

async fn get_or_create_by_auth_email_conflict(s: S) {
    let mut local = user(1);
    local.auth_service.clear();
    local.auth_data.clear();
    s.create_user(local, false).await.unwrap();

    let mut jit = user(2);
    jit.email = "USER1@example.com".into();
    assert_conflict(s.get_or_create_by_auth(jit).await, "email");
    assert_eq!(s.count_users().await.unwrap(), 1);

    let created = s.get_or_create_by_auth(user(3)).await.unwrap();
    assert!(created.created);
    assert_eq!(s.count_users().await.unwrap(), 2);
}

async fn sessions_create_get_revoke(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let (a, token_a) = session(&u.id, "", 10);
    let (b, _) = session(&u.id, "", 20);
    let (c, _) = session(&u.id, "", 30);
    for x in [&a, &b, &c] {
        s.create_session(x.clone(), None).await.unwrap();
    }
    assert_eq!(
        s.get_session_by_token_hash(&hash_token(&token_a))
            .await
            .unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        s.get_session_by_token_hash(&hash_token("unknown"))
            .await
            .unwrap(),
        None
    );
    let listed: Vec<String> = s
        .list_user_sessions(&u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(
        listed,
        [c.id.clone(), b.id.clone(), a.id.clone()],
        "newest first"
    );

    s.revoke_session(&a.id).await.unwrap();
    assert_eq!(
        s.get_session_by_token_hash(&a.token_hash).await.unwrap(),
        None
    );
    s.revoke_session(&a.id).await.unwrap(); // revoking twice is fine
    assert_eq!(s.revoke_user_sessions(&u.id).await.unwrap(), 2);
    assert_eq!(
        s.get_session_by_token_hash(&b.token_hash).await.unwrap(),
        None
    );
    assert!(s.list_user_sessions(&u.id).await.unwrap().is_empty());
    assert_eq!(s.revoke_user_sessions(&u.id).await.unwrap(), 0);
}

async fn device_id_revokes_older_sessions(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let other = s.create_user(user(2), false).await.unwrap();
    let (old1, _) = session(&u.id, "apple_rn-v2:dev1", 1);
    let (old2, _) = session(&u.id, "apple_rn-v2:dev1", 2);
    let (keep, _) = session(&u.id, "apple_rn-v2:dev2", 3);
    let (others, _) = session(&other.id, "apple_rn-v2:dev1", 4);
    for x in [&old1, &old2, &keep, &others] {
        s.create_session(x.clone(), None).await.unwrap();
    }
    let (new, _) = session(&u.id, "apple_rn-v2:dev1", 5);
    s.create_session(new.clone(), Some("apple_rn-v2:dev1".into()))
        .await
        .unwrap();

    let mine: HashSet<String> = s
        .list_user_sessions(&u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(mine, HashSet::from([keep.id.clone(), new.id.clone()]));
    assert!(s
        .get_session_by_token_hash(&old1.token_hash)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_session_by_token_hash(&others.token_hash)
        .await
        .unwrap()
        .is_some());

    // An empty device id revokes nothing.
    let (plain, _) = session(&u.id, "", 6);
    s.create_session(plain, Some(String::new())).await.unwrap();
    assert_eq!(s.list_user_sessions(&u.id).await.unwrap().len(), 3);
}

async fn deactivation_revokes_sessions(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let other = s.create_user(user(2), false).await.unwrap();
    let (a, _) = session(&u.id, "d", 1);
    let (b, _) = session(&other.id, "d", 1);
    s.create_session(a.clone(), None).await.unwrap();
    s.create_session(b.clone(), None).await.unwrap();

    let off = s.set_user_active(&u.id, false, 77_000).await.unwrap();
    assert_eq!(off.delete_at, 77_000);
    assert!(off.is_deactivated());
    assert_eq!(s.get_user(&u.id).await.unwrap().unwrap().delete_at, 77_000);
    assert!(s
        .get_session_by_token_hash(&a.token_hash)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_session_by_token_hash(&b.token_hash)
        .await
        .unwrap()
        .is_some());

    let on = s.set_user_active(&u.id, true, 88_000).await.unwrap();
    assert_eq!(on.delete_at, 0);
    assert_eq!(on.update_at, 88_000);
    assert!(!s.get_user(&u.id).await.unwrap().unwrap().is_deactivated());

    assert!(matches!(
        s.set_user_active("ghost", false, 1).await,
        Err(StoreError::NotFound)
    ));
}

async fn audits_newest_first_with_paging(s: S) {
    let mut written = Vec::new();
    for n in 0..25 {
        let audit = Audit {
            id: String::new(),
            // Pairs share a millisecond: insertion order must still break the tie.
            create_at: 1_000 + n / 2,
            action: "login_by_intune".into(),
            status: [
                AuditStatus::Attempt,
                AuditStatus::Success,
                AuditStatus::Fail,
            ][n as usize % 3],
            error_id: format!("err{n}"),
            reason: "r".into(),
            user_id: "u".into(),
            device_id: "d".into(),
            ip_address: "127.0.0.1".into(),
            request_id: format!("req{n}"),
        };
        s.add_audit(audit.clone()).await.unwrap();
        written.push(audit);
    }
    let mut read = Vec::new();
    for p in 0..4 {
        let got = s.list_audits(page(p, 10)).await.unwrap();
        assert!(got.len() <= 10);
        read.extend(got);
    }
    assert_eq!(read.len(), 25);
    let want: Vec<&str> = written
        .iter()
        .rev()
        .map(|a| a.request_id.as_str())
        .collect();
    let got: Vec<&str> = read.iter().map(|a| a.request_id.as_str()).collect();
    assert_eq!(got, want);
    assert!(read.iter().all(|a| a.id.len() == 26));
    assert_eq!(read[0].status, written[24].status);
    assert_eq!(read[0].error_id, "err24");
}

async fn license_and_config_round_trip(s: S) {
    assert_eq!(s.get_license().await.unwrap(), None);
    s.set_license(Some("license-1".into())).await.unwrap();
    assert_eq!(s.get_license().await.unwrap().as_deref(), Some("license-1"));
    s.set_license(Some("license-2".into())).await.unwrap();
    assert_eq!(s.get_license().await.unwrap().as_deref(), Some("license-2"));
    s.set_license(None).await.unwrap();
    assert_eq!(s.get_license().await.unwrap(), None);

    assert_eq!(s.get_config().await.unwrap(), None);
    let config = json!({"ServiceSettings": {"SiteURL": "https://x"}, "IntuneSettings": {"Enable": true}, "A": 1});
    s.set_config(config.clone()).await.unwrap();
    let back = s.get_config().await.unwrap().unwrap();
    assert_eq!(back, config);
    let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["ServiceSettings", "IntuneSettings", "A"],
        "key order kept"
    );
    s.set_config(json!({"B": 2})).await.unwrap();
    assert_eq!(s.get_config().await.unwrap(), Some(json!({"B": 2})));
}

async fn scan_users_visits_every_user_once(s: S) {
    // More than one scan batch (10,000).
    const N: u32 = 10_250;
    let mut set = JoinSet::new();
    for chunk in 0..16 {
        let s = s.clone();
        set.spawn(async move {
            for n in (chunk..N).step_by(16) {
                s.create_user(user(n), false).await.unwrap();
            }
        });
    }
    set.join_all().await;
    let mut seen = HashSet::new();
    let mut last = String::new();
    s.scan_users(&mut |u: &User| {
        assert!(u.id > last, "id order");
        last.clone_from(&u.id);
        assert!(
            seen.insert(u.username.clone()),
            "visited twice: {}",
            u.username
        );
    })
    .await
    .unwrap();
    assert_eq!(seen.len(), N as usize);
    assert_eq!(s.count_users().await.unwrap(), u64::from(N));
}

async fn failed_write_leaves_store_unchanged(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let (old, _) = session(&u.id, "dev", 1);
    let (elsewhere, _) = session(&u.id, "other-dev", 1);
    s.create_session(old.clone(), None).await.unwrap();
    s.create_session(elsewhere.clone(), None).await.unwrap();
    // A new session whose token collides: its device revocation must be undone with it.
    let (mut dup, _) = session(&u.id, "dev", 2);
    dup.token_hash = elsewhere.token_hash.clone();
    assert_conflict(
        s.create_session(dup.clone(), Some("dev".into())).await,
        "token",
    );
    assert_eq!(
        s.get_session_by_token_hash(&old.token_hash).await.unwrap(),
        Some(old.clone())
    );
    assert_eq!(s.list_user_sessions(&u.id).await.unwrap().len(), 2);

    let mut clash = user(2);
    clash.username = u.username.clone();
    assert!(s.create_user(clash, true).await.is_err());
    assert_eq!(s.count_users().await.unwrap(), 1);
    assert_eq!(s.get_user(&u.id).await.unwrap(), Some(u));
}

async fn conflicts_do_not_fail_their_group(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let (taken, _) = session(&u.id, "", 0);
    s.create_session(taken.clone(), None).await.unwrap();
    let mut set = JoinSet::new();
    for n in 0..200 {
        let (mut x, _) = session(&u.id, "", n);
        let bad = n % 10 == 0;
        if bad {
            x.token_hash = taken.token_hash.clone();
        }
        let s = s.clone();
        set.spawn(async move { (bad, s.create_session(x, None).await) });
    }
    for (bad, result) in set.join_all().await {
        if bad {
            assert_conflict(result, "token");
        } else {
            result.unwrap();
        }
    }
    assert_eq!(s.list_user_sessions(&u.id).await.unwrap().len(), 1 + 180);
}

async fn group_commit_of_1000_sessions(s: S) {
    let u = s.create_user(user(1), false).await.unwrap();
    let mut set = JoinSet::new();
    for n in 0..1000 {
        let s = s.clone();
        let id = u.id.clone();
        set.spawn(async move {
            let (x, token) = session(&id, &format!("dev{n}"), n);
            s.create_session(x, None).await.map(|()| token)
        });
    }
    let tokens: Vec<String> = set
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for token in &tokens {
        let found = s
            .get_session_by_token_hash(&hash_token(token))
            .await
            .unwrap();
        assert_eq!(found.map(|x| x.user_id), Some(u.id.clone()));
    }
    assert_eq!(s.list_user_sessions(&u.id).await.unwrap().len(), 1000);
}

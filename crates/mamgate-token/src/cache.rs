//! The JWKS cache per discovery URL, and the [`Validator`] the server calls (rows 7–12).
//!
//! Fetches run in a spawned task, one at a time per URL (single flight): every request that
//! needs keys meanwhile waits for that one fetch and then re-checks once, so no request waits
//! for more than one fetch (PERFORMANCE P5) and a client hanging up never cancels a fetch
//! others are waiting on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mamgate_core::config::IntuneSettings;
use mamgate_core::ErrorId;
use tokio::sync::watch;

use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::error::{FetchError, TokenError};
use crate::fetch::{HttpFetcher, KeyFetcher};
use crate::keys::KeySet;
use crate::validate::{check, Failure, ValidationParams};

/// With keys cached, an unknown `kid` refreshes at most this often (CONTRACT §2 "Keys").
pub const KID_REFRESH_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// With no keys, at most one fetch attempt per this interval (sign-ins recover within seconds).
pub const COLD_RETRY_INTERVAL_MS: i64 = 1000;
/// Keys not refreshed successfully for this long are dropped (Entra facts §3: TTL 24 h).
pub const MAX_KEY_AGE_MS: i64 = 24 * 3600 * 1000;
/// Keys older than this are refreshed in the background while still in use.
pub const BACKGROUND_REFRESH_AGE_MS: i64 = 3600 * 1000;
/// A failing background refresh is retried no more often than this.
pub const BACKGROUND_RETRY_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// The keys of one discovery URL as last fetched successfully.
#[derive(Debug)]
pub struct CachedKeys {
    /// The parsed signing keys.
    pub keys: KeySet,
    /// The discovery document's `issuer` (the template row 12 checks `iss` against).
    pub issuer: String,
    /// Where the keys came from.
    pub jwks_uri: String,
    /// When the fetch finished, in the cache clock's milliseconds.
    pub fetched_at_ms: i64,
}

/// Fetches discovery, then the JWKS, and parses the keys; fails when no key is usable.
pub async fn fetch_keys(
    fetcher: &dyn KeyFetcher,
    discovery_url: &str,
    now_ms: i64,
) -> Result<CachedKeys, FetchError> {
    let discovery = fetcher.discovery(discovery_url).await?;
    let jwks = fetcher.jwks(&discovery.jwks_uri).await?;
    let keys = KeySet::from_jwks(&jwks);
    if keys.is_empty() {
        return Err(FetchError::Document {
            url: discovery.jwks_uri,
            reason: format!(
                "no usable RSA signing key (skipped: {})",
                keys.skipped().join("; ")
            ),
        });
    }
    Ok(CachedKeys {
        keys,
        issuer: discovery.issuer,
        jwks_uri: discovery.jwks_uri,
        fetched_at_ms: now_ms,
    })
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Fetches started (each is one discovery + one JWKS request).
    pub fetches: u64,
    /// Fetches that failed.
    pub failures: u64,
    /// Fetches started because of an unknown `kid`.
    pub kid_refreshes: u64,
    /// Fetches started in the background because keys were over an hour old.
    pub background_refreshes: u64,
    /// Key sets dropped for being over 24 h without a successful refresh.
    pub dropped_stale: u64,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    kid_refreshes: AtomicU64,
    background_refreshes: AtomicU64,
    dropped_stale: AtomicU64,
}

struct Shared {
    fetcher: Arc<dyn KeyFetcher>,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<CachedKeys>>,
    last_attempt_ms: Option<i64>,
    last_kid_refresh_ms: Option<i64>,
    last_error: Option<String>,
    /// Becomes `true` when the fetch in flight has updated `keys`/`last_error`.
    flight: Option<watch::Receiver<bool>>,
}

struct Entry {
    url: String,
    state: Mutex<State>,
}

impl Entry {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves the state consistent field by field.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Validates Entra access tokens, fetching and caching signing keys per discovery URL.
///
/// Fetches run on `tokio::spawn`, so `validate`/`prefetch` must be awaited inside a Tokio runtime.
pub struct Validator {
    shared: Arc<Shared>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Validator {
    /// A validator fetching over HTTP with 5 s timeouts, on the wall clock.
    pub fn http() -> Result<Self, FetchError> {
        Ok(Self::new(Arc::new(HttpFetcher::new()?)))
    }

    /// A validator using `fetcher`, on the wall clock.
    pub fn new(fetcher: Arc<dyn KeyFetcher>) -> Self {
        Self::with_clock(fetcher, Arc::new(SystemClock))
    }

    /// A validator whose refresh windows follow `clock`.
    pub fn with_clock(fetcher: Arc<dyn KeyFetcher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            shared: Arc::new(Shared {
                fetcher,
                clock,
                counters: Counters::default(),
            }),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// CONTRACT §2 rows 7–12 for `token` under `intune`, with `now_secs` as token time.
    pub async fn validate(
        &self,
        token: &str,
        intune: &IntuneSettings,
        now_secs: i64,
    ) -> Result<Claims, TokenError> {
        let entry = self.entry(&intune.discovery_url());
        let cached = self.keys_for(&entry).await?;
        let first = check(token, &cached.keys, &params(intune, &cached), now_secs);
        let Err(Failure::UnknownKid(kid)) = first else {
            return first.map_err(Failure::into_error);
        };
        let newer = self.refresh_for_kid(&entry, &cached, &kid).await?;
        check(token, &newer.keys, &params(intune, &newer), now_secs).map_err(Failure::into_error)
    }

    /// Fetches the keys for `intune` now (server start-up); returns how many keys are usable.
    pub async fn prefetch(&self, intune: &IntuneSettings) -> Result<usize, TokenError> {
        let entry = self.entry(&intune.discovery_url());
        let rx = {
            let mut st = entry.lock();
            match &st.flight {
                Some(rx) => rx.clone(),
                None => self.start_fetch(&entry, &mut st),
            }
        };
        wait(rx).await;
        let st = entry.lock();
        match (&st.keys, &st.last_error) {
            (_, Some(err)) => Err(jwks_init(&entry.url, Some(err))),
            (Some(k), None) => Ok(k.keys.len()),
            (None, None) => Err(jwks_init(&entry.url, None)),
        }
    }

    /// The keys cached for `intune`, if any.
    pub fn cached(&self, intune: &IntuneSettings) -> Option<Arc<CachedKeys>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&intune.discovery_url())?;
        let keys = entry.lock().keys.clone();
        keys
    }

    /// Counters since start.
    pub fn stats(&self) -> CacheStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CacheStats {
            fetches: get(&c.fetches),
            failures: get(&c.failures),
            kid_refreshes: get(&c.kid_refreshes),
            background_refreshes: get(&c.background_refreshes),
            dropped_stale: get(&c.dropped_stale),
        }
    }

    fn entry(&self, url: &str) -> Arc<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.get(url) {
            return e.clone();
        }
        let e = Arc::new(Entry {
            url: url.to_owned(),
            state: Mutex::new(State::default()),
        });
        entries.insert(url.to_owned(), e.clone());
        e
    }

    /// Row 7: keys to check against, fetching them when there are none.
    async fn keys_for(&self, entry: &Arc<Entry>) -> Result<Arc<CachedKeys>, TokenError> {
        let now = self.shared.clock.now_millis();
        let rx = {
            let mut st = entry.lock();
            if st
                .keys
                .as_ref()
                .is_some_and(|k| now - k.fetched_at_ms > MAX_KEY_AGE_MS)
            {
                st.keys = None;
                self.shared
                    .counters
                    .dropped_stale
                    .fetch_add(1, Ordering::Relaxed);
            }
            if let Some(keys) = st.keys.clone() {
                let old = now - keys.fetched_at_ms > BACKGROUND_REFRESH_AGE_MS;
                let quiet = !matches!(st.last_attempt_ms, Some(t) if now - t < BACKGROUND_RETRY_INTERVAL_MS);
                if old && quiet && st.flight.is_none() {
                    self.shared
                        .counters
                        .background_refreshes
                        .fetch_add(1, Ordering::Relaxed);
                    drop(self.start_fetch(entry, &mut st));
                }
                return Ok(keys);
            }
            match &st.flight {
                Some(rx) => rx.clone(),
                None if st
                    .last_attempt_ms
                    .is_some_and(|t| now - t < COLD_RETRY_INTERVAL_MS) =>
                {
                    return Err(jwks_init(&entry.url, st.last_error.as_deref()));
                }
                None => self.start_fetch(entry, &mut st),
            }
        };
        wait(rx).await;
        let st = entry.lock();
        st.keys
            .clone()
            .ok_or_else(|| jwks_init(&entry.url, st.last_error.as_deref()))
    }

    /// Row 8's "kid unknown after one key refresh": the keys to re-check against, or the refusal.
    async fn refresh_for_kid(
        &self,
        entry: &Arc<Entry>,
        seen: &Arc<CachedKeys>,
        kid: &str,
    ) -> Result<Arc<CachedKeys>, TokenError> {
        let now = self.shared.clock.now_millis();
        let rx = {
            let mut st = entry.lock();
            match (&st.flight, &st.keys) {
                (Some(rx), _) => rx.clone(),
                // Someone refreshed since this request read the keys: re-check with those.
                (None, Some(k)) if !Arc::ptr_eq(k, seen) => return Ok(k.clone()),
                (None, _) => match st.last_kid_refresh_ms {
                    Some(t) if now - t < KID_REFRESH_INTERVAL_MS => {
                        return Err(TokenError::invalid(format!(
                            "kid {kid:?} unknown (keys refreshed {} s ago; next refresh allowed after {} s)",
                            (now - t) / 1000,
                            KID_REFRESH_INTERVAL_MS / 1000
                        )));
                    }
                    _ => {
                        st.last_kid_refresh_ms = Some(now);
                        self.shared
                            .counters
                            .kid_refreshes
                            .fetch_add(1, Ordering::Relaxed);
                        self.start_fetch(entry, &mut st)
                    }
                },
            }
        };
        wait(rx).await;
        let keys = entry.lock().keys.clone();
        // A failed refresh keeps the last known good keys; the re-check then refuses the kid.
        Ok(keys.unwrap_or_else(|| seen.clone()))
    }

    /// Starts the one fetch for `entry`; the caller holds its lock, so no second one can start.
    fn start_fetch(&self, entry: &Arc<Entry>, st: &mut State) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        let now = self.shared.clock.now_millis();
        st.flight = Some(rx.clone());
        st.last_attempt_ms = Some(now);
        self.shared.counters.fetches.fetch_add(1, Ordering::Relaxed);
        let (shared, entry) = (self.shared.clone(), entry.clone());
        tokio::spawn(async move {
            let result = fetch_keys(shared.fetcher.as_ref(), &entry.url, 0).await;
            let done = shared.clock.now_millis();
            {
                let mut st = entry.lock();
                match result {
                    Ok(mut keys) => {
                        keys.fetched_at_ms = done;
                        tracing::info!(url = %entry.url, keys = keys.keys.len(), skipped = keys.keys.skipped().len(), "signing keys fetched");
                        st.keys = Some(Arc::new(keys));
                        st.last_error = None;
                    }
                    Err(e) => {
                        shared.counters.failures.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(url = %entry.url, error = %e, cached = st.keys.is_some(), "signing key fetch failed");
                        st.last_error = Some(e.to_string());
                    }
                }
                st.flight = None;
            }
            let _ = tx.send(true);
        });
        rx
    }
}

fn params<'a>(intune: &'a IntuneSettings, keys: &'a CachedKeys) -> ValidationParams<'a> {
    ValidationParams {
        tenant_id: &intune.tenant_id,
        client_id: &intune.client_id,
        issuer_template: &keys.issuer,
    }
}

/// Waits until the fetch behind `rx` is done (or its task is gone).
async fn wait(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|done| *done).await;
}

fn jwks_init(url: &str, last_error: Option<&str>) -> TokenError {
    let why = last_error.unwrap_or("no fetch has succeeded");
    TokenError::new(
        ErrorId::JwksInit,
        format!("no signing keys for {url}: {why}"),
    )
}

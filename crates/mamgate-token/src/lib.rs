//! Entra ID access-token validation (CONTRACT §2 rows 7–12) and the JWKS cache.
//!
//! Owns: decoding and verifying RS256 access tokens with keys parsed once per refresh
//! ([`validate_with_keys`], pure), fetching discovery and JWKS behind [`KeyFetcher`], and the
//! single-flight key cache ([`Validator`]). Depends on `mamgate-core` only for the catalog and
//! settings; knows nothing of HTTP servers, stores or users. No cloud host is hard-coded: the
//! authority comes from `IntuneSettings.AuthorityHost`, the issuer from discovery.

pub mod bench;
pub mod cache;
pub mod claims;
pub mod clock;
pub mod error;
pub mod fetch;
pub mod keys;
pub mod signing;
pub mod validate;

pub use cache::{CacheStats, CachedKeys, Validator};
pub use claims::Claims;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{FetchError, TokenError};
pub use fetch::{Discovery, HttpFetcher, KeyFetcher};
pub use keys::{Jwk, Jwks, KeySet};
pub use validate::{validate_with_keys, ValidationParams};

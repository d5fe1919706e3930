//! Entra ID access-token validation (CONTRACT §2 rows 7–12) and the JWKS cache.

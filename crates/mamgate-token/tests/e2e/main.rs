//! End-to-end tests of the JWKS cache against a real HTTP discovery/JWKS server on 127.0.0.1.

mod kit;
mod outage;
mod rotation;
mod single_flight;
mod window;

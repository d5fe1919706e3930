//! End-to-end: the simulator over real HTTP against an in-process server and the Entra and
//! Intune emulators on loopback ports.

mod kit;
mod login;
mod midsession;
mod scenarios;

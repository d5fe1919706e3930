//! mamgate-emulators

//! mamgate-doctor

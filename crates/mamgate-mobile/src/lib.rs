//! mamgate-mobile

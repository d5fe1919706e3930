//! mamgate-server

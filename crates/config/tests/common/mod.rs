//! Helpers shared by the integration tests: a file-system [`Source`] (the crate itself does no
//! I/O; its tests may).
#![allow(clippy::disallowed_methods, dead_code)]

use std::path::{Path, PathBuf};

use sluice_config::{Source, SourceError};

/// Reads configuration files from disk, as the `sluice` binary does.
pub struct Fs;

impl Source for Fs {
    fn read(&self, path: &Path) -> Result<String, SourceError> {
        if !path.is_file() {
            return Err(SourceError::NotFound);
        }
        let bytes = std::fs::read(path).map_err(|e| SourceError::Unreadable(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| SourceError::Unreadable("not UTF-8".to_string()))
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| sluice_config::load::normalize(path))
    }
}

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether snapshot files should be rewritten instead of compared.
pub fn updating() -> bool {
    std::env::var_os("SLUICE_UPDATE_SNAPSHOTS").is_some_and(|v| v != "0")
}

/// Reads a text file (tests only).
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a text file (snapshot updates only).
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

//! Reading configuration files from disk for the pure loader in `sluice-config`.

use std::path::{Path, PathBuf};

use sluice_config::{LoadErrors, Loaded, Source, SourceError};

/// The file system as a configuration [`Source`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FsSource;

impl Source for FsSource {
    fn read(&self, path: &Path) -> Result<String, SourceError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SourceError::NotFound),
            Err(e) => Err(SourceError::Unreadable(e.to_string())),
        }
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        // FAUCET uses realpath; fall back to the lexical form for files that do not exist.
        std::fs::canonicalize(path).unwrap_or_else(|_| sluice_config::load::normalize(path))
    }
}

/// Loads and validates the configuration whose top file is `path`, then gives the memory
/// the load used back to the operating system.
///
/// The load's temporaries (the files' text, their YAML trees, the builder's definitions) are
/// several times the size of the model it returns: 365 MB at the peak for a model of 120 MB
/// with 10,000 datapaths. They are freed by now, but glibc would keep them resident, below
/// the model (see [`sluice_malloc`]).
///
/// # Errors
/// Every problem found, for display.
pub fn load(path: &Path) -> Result<Loaded, LoadErrors> {
    let loaded = sluice_config::load(&FsSource, path);
    sluice_malloc::release_free_memory();
    loaded
}

/// The configuration file named by a FAUCET_CONFIG-style list (colon-separated; the first
/// file that exists is used, as FAUCET does).
pub fn first_existing(list: &str) -> Option<PathBuf> {
    list.split(':')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

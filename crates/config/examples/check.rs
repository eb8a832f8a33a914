//! Development helper: `cargo run -p sluice-config --example check -- FILE...` prints, per
//! file, `VALID` or `INVALID` and the errors. (`sluice check` is the user-facing command.)
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use sluice_config::{Source, SourceError};

struct Fs;

impl Source for Fs {
    fn read(&self, path: &Path) -> Result<String, SourceError> {
        if !path.is_file() {
            return Err(SourceError::NotFound);
        }
        std::fs::read_to_string(path).map_err(|e| SourceError::Unreadable(e.to_string()))
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| sluice_config::load::normalize(path))
    }
}

fn main() {
    for arg in std::env::args().skip(1) {
        match sluice_config::load(&Fs, Path::new(&arg)) {
            Ok(loaded) => println!("VALID {arg}: {}", loaded.config.summary()),
            Err(e) => {
                println!("INVALID {arg}");
                for error in &e.errors {
                    println!("    {error}");
                }
            }
        }
    }
}

//! What a user sees for the common mistakes: each `tests/snapshots/<name>.yaml` is loaded and
//! its rendered errors (file:line:col, YAML path, reason, source line with a caret) must match
//! `tests/snapshots/<name>.txt`. Rewrite the `.txt` files with `SLUICE_UPDATE_SNAPSHOTS=1`
//! after a deliberate change, and review the diff.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{crate_dir, read, updating, write};
use sluice_config::MemorySource;

#[test]
fn common_mistakes_render_as_recorded() {
    let dir = crate_dir().join("tests/snapshots");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "only {} snapshots", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let file = format!("{name}.yaml");
        let source = MemorySource::new().with(&file, read(&dir.join(&file)));
        let rendered = match sluice_config::load(&source, Path::new(&file)) {
            Ok(_) => "(accepted)\n".to_string(),
            Err(errors) => format!("{}\n", errors.render()),
        };
        let expected_path = dir.join(format!("{name}.txt"));
        if updating() {
            write(&expected_path, &rendered);
        } else if read(&expected_path) != rendered {
            failures.push(format!(
                "--- {name}.txt (expected)\n{}\n--- got\n{rendered}",
                read(&expected_path)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

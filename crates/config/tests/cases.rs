//! Every configuration case in `tests/cases`, against FAUCET's recorded verdict.
//!
//! Test description:
//! Input: each case listed in `tests/cases/verdicts.txt` (a YAML file, or a directory holding
//!   `faucet.yaml` and the files it includes), loaded from disk.
//! Output: sluice accepts exactly the cases FAUCET's `check_faucet_config` accepts (the
//!   verdicts are re-checked against FAUCET by `scripts/faucet-verdicts`), except that it also
//!   accepts, saying so, the cases that use a sluice extension (`ext/`), which FAUCET rejects;
//!   for each case FAUCET rejects, sluice's first error (or first extension) points where
//!   `tests/cases/errors.txt` says (regenerate that file with `SLUICE_UPDATE_SNAPSHOTS=1` after
//!   a deliberate change).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Fs, crate_dir, read, updating, write};

fn manifest() -> Vec<(String, String)> {
    let text = read(&crate_dir().join("tests/cases/verdicts.txt"));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let verdict = parts.next().unwrap().to_string();
            let case = parts.next().unwrap().to_string();
            (case, verdict)
        })
        .collect()
}

/// Where the first error of a rejected case points: `file:line:col path`, with the file name
/// relative to the case.
fn first_error(case: &str, errors: &sluice_config::LoadErrors) -> String {
    let e = &errors.errors[0];
    let file = Path::new(&e.file)
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().to_string());
    let _ = case;
    format!(
        "{file}:{}:{} {}",
        e.line,
        e.col,
        if e.path.is_empty() { "-" } else { &e.path }
    )
}

/// Where the first sluice extension of a case sluice accepts only as an extension is used:
/// `file:line:col path extension`.
fn first_extension(loaded: &sluice_config::Loaded) -> String {
    let w = loaded
        .warnings
        .iter()
        .find(|w| w.kind == sluice_config::WarningKind::Extension)
        .unwrap();
    let file = Path::new(&w.file)
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().to_string());
    format!("{file}:{}:{} {} extension", w.line, w.col, w.path)
}

#[test]
fn every_case_gets_faucets_verdict() {
    let cases_dir = crate_dir().join("tests/cases");
    let cases = manifest();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    let mut locations: BTreeMap<String, String> = BTreeMap::new();
    for (case, verdict) in &cases {
        let path = cases_dir.join(case);
        // FAUCET's verdict as sluice predicts it: a configuration sluice accepts only as a
        // sluice extension is one FAUCET rejects.
        let ours = match sluice_config::load(&Fs, &path) {
            Ok(loaded) if loaded.uses_extensions() => {
                locations.insert(case.clone(), first_extension(&loaded));
                "invalid"
            }
            Ok(_) => "valid",
            Err(errors) => {
                assert!(
                    !errors.errors.is_empty(),
                    "{case}: rejected without an error"
                );
                locations.insert(case.clone(), first_error(case, &errors));
                "invalid"
            }
        };
        if ours != verdict {
            wrong.push(format!("{case}: FAUCET says {verdict}, sluice says {ours}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} verdicts differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    let snapshot_path = cases_dir.join("errors.txt");
    let mut snapshot = String::from(
        "# Where sluice's first error points for each rejected case (file:line:col yaml-path).\n\
         # Regenerate with SLUICE_UPDATE_SNAPSHOTS=1 cargo test -p sluice-config --test cases\n",
    );
    for (case, location) in &locations {
        snapshot.push_str(&format!("{case} {location}\n"));
    }
    if updating() {
        write(&snapshot_path, &snapshot);
    } else {
        pretty_assertions::assert_eq!(read(&snapshot_path), snapshot);
    }
}

#[test]
fn every_case_file_is_in_the_manifest() {
    let cases_dir = crate_dir().join("tests/cases");
    let recorded: Vec<String> = manifest().into_iter().map(|(c, _)| c).collect();
    let mut missing = Vec::new();
    for group in std::fs::read_dir(&cases_dir).unwrap() {
        let group = group.unwrap().path();
        if !group.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&group).unwrap() {
            let entry = entry.unwrap().path();
            let rel = |p: &Path| {
                p.strip_prefix(&cases_dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string()
            };
            let case = if entry.is_dir() {
                rel(&entry.join("faucet.yaml"))
            } else if entry.extension().is_some_and(|e| e == "yaml") {
                rel(&entry)
            } else {
                continue;
            };
            if !recorded.contains(&case) {
                missing.push(case);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cases without a recorded FAUCET verdict (run scripts/faucet-verdicts --record):\n{}",
        missing.join("\n")
    );
}

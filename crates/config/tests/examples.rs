//! The example configurations users copy from: every `examples/*.yaml` at the repository root,
//! and every complete configuration (a ```yaml block with a top-level `dps:`) in the README,
//! must load without error; an example that uses sluice extensions says so in its opening
//! comments.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::{Path, PathBuf};

use common::{Fs, crate_dir};
use sluice_config::MemorySource;

fn repo_root() -> PathBuf {
    crate_dir().join("../..")
}

#[test]
fn every_example_file_loads() {
    let dir = repo_root().join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected example configurations in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for file in &files {
        match sluice_config::load(&Fs, file) {
            Err(errors) => failures.push(errors.render()),
            // `scripts/faucet-verdicts` expects FAUCET to accept every example but those
            // marked as sluice extensions: the mark must be right.
            Ok(loaded) if loaded.uses_extensions() != marked_as_extension(file) => {
                failures.push(format!(
                    "{}: uses sluice extensions: {}, marked \"{EXTENSION_MARK}\": {}",
                    file.display(),
                    loaded.uses_extensions(),
                    marked_as_extension(file)
                ))
            }
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// How an example says it uses sluice extensions (which FAUCET rejects): a line of its opening
/// comments starts with this.
const EXTENSION_MARK: &str = "# sluice extension";

fn marked_as_extension(file: &Path) -> bool {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with('#'))
        .any(|l| l.starts_with(EXTENSION_MARK))
}

/// The ```yaml blocks of a Markdown file that are whole configurations.
fn yaml_configs(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut block: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut block {
            None if trimmed.starts_with("```yaml") || trimmed.starts_with("```yml") => {
                block = Some((i + 2, String::new()));
            }
            Some((_, text)) if trimmed.starts_with("```") => {
                if text.lines().any(|l| l.starts_with("dps:")) {
                    out.push(block.take().unwrap());
                } else {
                    block = None;
                }
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_readme_configuration_loads() {
    let readme = repo_root().join("README.md");
    let Ok(text) = std::fs::read_to_string(&readme) else {
        return;
    };
    let mut failures = Vec::new();
    for (line, config) in yaml_configs(&text) {
        let name = format!("README.md:{line}");
        let source = MemorySource::new().with(&name, config);
        if let Err(errors) = sluice_config::load(&source, Path::new(&name)) {
            failures.push(errors.render());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn markdown_blocks_are_found() {
    let md = "text\n```yaml\ndps:\n  sw1: {}\n```\n```yaml\nvlans: {}\n```\n";
    let blocks = yaml_configs(md);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, 3);
}

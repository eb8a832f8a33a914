//! Configuration text is external input: loading must never panic, whatever the bytes.
//!
//! Test description:
//! Input: every case file, truncated and with bytes replaced, deleted and duplicated at
//!   pseudo-random places (a fixed seed, so failures reproduce), plus deeply nested and
//!   alias-heavy documents.
//! Output: `load_str` returns (valid or not) without panicking.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::crate_dir;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap()
    }
}

fn case_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![crate_dir().join("tests/cases")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

const SPICE: &[&str] = &[
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "\t",
    "\n",
    "'",
    "\"",
    "#",
    "0x",
    "-1",
    "null",
    "true",
    "2019-01-01",
    "dps",
    "vlans",
    "acls",
    "interfaces",
    "stack",
    "native_vlan: ",
    "include: [x.yaml]",
    "? ",
    "|\n",
    ">",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
];

#[test]
fn mutated_cases_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for path in case_files() {
        let original = std::fs::read(&path).unwrap();
        for _ in 0..3 {
            let mut bytes = original.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 => bytes.truncate(at),
                    1 if at < bytes.len() => bytes[at] = u8::try_from(rng.below(256)).unwrap(),
                    2 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {
                        let spice = SPICE[rng.below(SPICE.len())].as_bytes();
                        bytes.splice(at..at, spice.iter().copied());
                    }
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = sluice_config::load_str(&text);
        }
    }
}

#[test]
fn pathological_documents_are_rejected_not_crashed() {
    let deep = format!("dps: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(sluice_config::load_str(&deep).is_err());
    let mut bomb = String::from("a: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..16 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    assert!(sluice_config::load_str(&bomb).is_err());
    let long_line = format!(
        "dps: {{sw1: {{description: \"{}\"}}}}",
        "x".repeat(1_000_000)
    );
    assert!(sluice_config::load_str(&long_line).is_err());
}

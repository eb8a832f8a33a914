//! Feeds arbitrary text to the faucet.yaml loader and validator: it must answer with a config
//! or errors, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match sluice_config::load_str(text) {
            Ok(loaded) => drop(loaded),
            Err(errors) => drop(errors.to_string()),
        }
    }
});

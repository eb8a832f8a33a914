//! Prints the benchmark configuration (100 DPs x 48 ports, 100 VLANs, 50 ACLs), to time
//! FAUCET's checker on the same file:
//! `cargo run --release -p sluice-config --example bench_config > big.yaml`.

#[path = "../benches/big_config.rs"]
mod big_config;

fn main() {
    print!("{}", big_config::big_config(100, 48, 100, 50));
}

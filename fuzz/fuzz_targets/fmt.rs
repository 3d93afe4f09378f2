#![no_main]
//! `cargo +nightly fuzz run fmt` (see fuzz/README.md).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cairn_fuzz::targets::fmt(data));

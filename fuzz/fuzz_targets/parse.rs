#![no_main]
//! `cargo +nightly fuzz run parse` (see fuzz/README.md).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cairn_fuzz::targets::parse(data));

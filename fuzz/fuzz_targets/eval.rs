#![no_main]
//! `cargo +nightly fuzz run eval` (see fuzz/README.md).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cairn_fuzz::targets::eval(data));

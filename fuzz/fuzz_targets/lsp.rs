#![no_main]
//! `cargo +nightly fuzz run lsp` (see fuzz/README.md).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cairn_fuzz::lsp::lsp(data));

//! The fuzz targets' smoke run: every target of `fuzz/src/targets.rs` over its committed seed
//! corpus (`fuzz/corpus/`) and deterministic mutations of each seed (bytes flipped, cut,
//! duplicated, spliced with another seed). The long runs use libFuzzer (fuzz/README.md); an
//! input it finds crashing is added to the corpus and stays here as a regression test.

#[allow(dead_code)]
#[path = "../fuzz/src/targets.rs"]
mod targets;

#[path = "../fuzz/src/smoke.rs"]
mod smoke;

use std::path::Path;

/// The corpus folder each target reads.
fn corpus_of(target: &str) -> &'static str {
    match target {
        "parse" | "eval" | "fmt" => "cairn",
        "yaml" => "yaml",
        "abi" => "abi",
        "state" => "state",
        other => panic!("no corpus for {other}"),
    }
}

/// Runs one target over its corpus and `per_seed` mutations of each seed.
fn smoke(name: &str, per_seed: usize) {
    let (_, target) = *targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(corpus_of(name));
    smoke::run(name, target, smoke::seeds(&dir), per_seed);
}

#[test]
fn every_target_has_a_corpus_and_a_smoke_test() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["parse", "eval", "fmt", "yaml", "abi", "state"]);
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    for name in names {
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml has no binary for {name}"
        );
        let _ = corpus_of(name);
    }
}

#[test]
fn parse_smoke() {
    smoke("parse", 16);
}

#[test]
fn eval_smoke() {
    smoke("eval", 3);
}

#[test]
fn fmt_smoke() {
    smoke("fmt", 3);
}

#[test]
fn yaml_smoke() {
    smoke("yaml", 64);
}

#[test]
fn abi_smoke() {
    smoke("abi", 256);
}

#[test]
fn state_smoke() {
    smoke("state", 256);
}

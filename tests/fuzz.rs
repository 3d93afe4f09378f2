//! The fuzz targets' smoke run: every target of `fuzz/src/targets.rs` over its committed seed
//! corpus (`fuzz/corpus/`) and deterministic mutations of each seed (bytes flipped, cut,
//! duplicated, spliced with another seed). The long runs use libFuzzer (fuzz/README.md); an
//! input it finds crashing is added to the corpus and stays here as a regression test.

#[allow(dead_code)]
#[path = "../fuzz/src/targets.rs"]
mod targets;

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

fn seeds(corpus: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(corpus);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!seeds.is_empty(), "{} is empty", dir.display());
    seeds
}

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that tend to matter to Cairn's readers.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"(",
    b")",
    b"\"",
    b"\"\"\"",
    b"${",
    b"/*",
    b"*/",
    b"//",
    b"\n",
    b":",
    b",",
    b"..",
    b"\xc3\xa9",
    b"\xe2\x98\x83",
    b"\xf0\x9f\x98\x80",
    b"\0",
    b"\xff",
    b"fn ",
    b"let ",
    b"for ",
    b"if ",
    b"resource ",
    b"import ",
    b"schema ",
    b"1e308",
    b"-",
];

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(at),
            2 => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            4 => {
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(64)).min(other.len());
                v.splice(at..at, other[from..end].iter().copied());
            }
            _ => {
                let end = (at + rng.below(32)).min(v.len());
                let copy = v[at..end].to_vec();
                v.splice(at..at, copy);
            }
        }
    }
    v
}

/// Runs one target over its seeds and `per_seed` mutations of each, on a thread of its own
/// (with a stack as small as libFuzzer's default is large: 8 MiB).
fn smoke(name: &str, per_seed: usize) {
    let (_, target) = *targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    let seeds = seeds(corpus_of(name));
    let name = name.to_string();
    std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            for (i, seed) in seeds.iter().enumerate() {
                target(seed);
                let other = &seeds[(i + 1) % seeds.len()];
                for _ in 0..per_seed {
                    let input = mutate(&mut rng, seed, other);
                    let run = std::panic::catch_unwind(|| target(&input));
                    if run.is_err() {
                        panic!(
                            "target {name} failed on a mutation of seed {i}; input: {:?}",
                            String::from_utf8_lossy(&input)
                        );
                    }
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("the smoke run failed");
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

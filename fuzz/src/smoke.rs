//! The smoke runs of the fuzz targets (`tests/fuzz.rs`, `lsp/tests/fuzz.rs`): a target over
//! its committed seeds and deterministic mutations of each (a fixed pseudo-random sequence of
//! byte flips, cuts, insertions of tokens that matter to Cairn's readers, duplications and
//! splices with another seed). libFuzzer does far better; this keeps a few thousand cheap
//! variations in every test run.

use std::path::Path;

/// The seeds in a corpus folder, in file-name order.
pub fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!seeds.is_empty(), "{} is empty", dir.display());
    seeds
}

/// Runs `target` over every seed and `per_seed` mutations of it, on a thread with an 8 MiB
/// stack; a panic names the seed and shows the input.
pub fn run(name: &str, target: fn(&[u8]), seeds: Vec<Vec<u8>>, per_seed: usize) {
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
                    if std::panic::catch_unwind(|| target(&input)).is_err() {
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

/// xorshift64*: a fixed sequence, so a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
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
    b"Content-Length: 5\r\n\r\n",
    b"\r\n\r\n",
    b"\"id\": 1.5",
    b"\"jsonrpc\": \"2.0\"",
];

pub fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
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

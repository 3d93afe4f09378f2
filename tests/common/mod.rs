//! Helpers shared by the test modules: one `check` per boundary lives in each module, these
//! only load files and render results.

use std::path::{Path, PathBuf};

use cairn::diagnostics::render;
use cairn::{Engine, Outcome};

/// A tool from outside the project that a test needs and could not run: the test fails, naming
/// the tool and the command that installs it, rather than skipping.
pub fn tool_missing(tool: &str, why: impl std::fmt::Display) -> ! {
    panic!(
        "cannot run `{tool}` ({why}); `scripts/test`, the README's test command, installs every \
         tool the tests need (see scripts/test for what it installs)"
    )
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.cairn` files in a folder under the repository root, sorted.
pub fn cairn_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cairn"))
        .collect();
    files.sort();
    files
}

/// Parameters from a `// params: a=1 b=two` header line.
pub fn header_params(src: &str) -> Vec<(String, String)> {
    src.lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("// params:"))
        .flat_map(|rest| {
            rest.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Evaluation limits from a `// limits: steps=10000 memory=1048576` header line (the
/// defaults for what it leaves out); `None` without one.
pub fn header_limits(src: &str) -> Option<cairn::eval::Limits> {
    let line = src
        .lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix("// limits:"))?;
    let mut limits = cairn::eval::Limits::default();
    for (k, v) in line.split_whitespace().filter_map(|kv| kv.split_once('=')) {
        let n: u64 = v
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("bad number in `// limits:` header: {v}"));
        match k {
            "steps" => limits.max_steps = n,
            "memory" => limits.max_memory = n,
            other => panic!("unknown limit `{other}` in `// limits:` header"),
        }
    }
    Some(limits)
}

/// Evaluates a corpus file with the parameters (and limits) of its header.
pub fn evaluate(path: &Path) -> (Engine, Outcome) {
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut engine = Engine::new();
    for (k, v) in header_params(&src) {
        engine.param_text(k, v);
    }
    if let Some(limits) = header_limits(&src) {
        engine.limits(limits);
    }
    let out = engine.evaluate_str(&name, &src);
    (engine, out)
}

/// Every diagnostic of an outcome, rendered without colour.
pub fn render_diagnostics(engine: &Engine, out: &Outcome) -> String {
    out.diagnostics
        .iter()
        .map(|d| render::fancy(d, engine.sources(), false))
        .collect::<Vec<_>>()
        .join("\n")
}

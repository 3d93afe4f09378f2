//! Docs that cannot go stale: every Cairn example in docs/ is evaluated, its shown output is
//! compared, and the generated references match the code. Run with `UPDATE_DOCS=1` to rewrite
//! the generated files.

use cairn::Engine;
use cairn::export::{self, Format, Selection};

use crate::common::{header_params, root};

struct Example {
    file: String,
    line: usize,
    info: String,
    code: String,
    /// The fenced block right after it, when it is ```yaml or ```json: the expected output.
    output: Option<(String, String)>,
}

/// Fenced code blocks of a Markdown file.
fn examples(file: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut blocks: Vec<(usize, String, String)> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut code = String::new();
            for (_, l) in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            blocks.push((n + 1, info.trim().to_string(), code));
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let (line, info, code) = &blocks[i];
        if info.starts_with("cairn") {
            let output = blocks.get(i + 1).and_then(|(_, next_info, next_code)| {
                (next_info == "yaml" || next_info == "json")
                    .then(|| (next_info.clone(), next_code.clone()))
            });
            if output.is_some() {
                i += 1;
            }
            out.push(Example {
                file: file.to_string(),
                line: *line,
                info: info.clone(),
                code: code.clone(),
                output,
            });
        }
        i += 1;
    }
    out
}

fn check_examples(file: &str) -> usize {
    check_examples_with(file, cairn::MemoryLoader::new())
}

/// Like [`check_examples`], with `files` (a cairn.toml, plugins) beside the examples.
fn check_examples_with(file: &str, mut files: cairn::MemoryLoader) -> usize {
    let list = examples(file);
    // Blocks marked ```cairn file=PATH are the files of a project the other examples of the
    // page can import; they are not run on their own.
    for ex in &list {
        if let Some(path) = ex
            .info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
        {
            files.insert(path, ex.code.clone());
        }
    }
    for ex in &list {
        if ex.info.contains("file=") {
            continue;
        }
        let mut engine = Engine::with_loader(files.clone());
        for (k, v) in header_params(&ex.code) {
            engine.param_text(k, v);
        }
        let out = engine.evaluate_str(
            &format!("{}-{}.cairn", ex.file.replace('/', "-"), ex.line),
            &ex.code,
        );
        let where_ = format!("{} line {}", ex.file, ex.line);
        if ex.info.contains("error") {
            assert!(
                out.has_errors(),
                "{where_}: the example should fail but evaluates"
            );
            continue;
        }
        assert!(
            !out.has_errors(),
            "{where_}: {}",
            out.diagnostics
                .iter()
                .map(|d| cairn::diagnostics::render::plain(d, engine.sources()))
                .collect::<Vec<_>>()
                .join("\n")
        );
        if let Some((format, expected)) = &ex.output {
            let docs = out.documents(Selection::Auto);
            let fmt = if format == "json" {
                Format::Json
            } else {
                Format::Yaml
            };
            let got = export::render(&docs, fmt).expect("render");
            assert_eq!(got, *expected, "{where_}: the shown output differs");
        }
    }
    list.len()
}

#[test]
fn language_guide_examples_run() {
    let n = check_examples("docs/language.md");
    assert!(n >= 20, "docs/language.md has only {n} examples");
}

#[test]
fn resources_guide_examples_run() {
    let n = check_examples("docs/resources.md");
    assert!(n >= 1, "docs/resources.md has no example");
}

/// The plugin chapter's examples run with the two example plugins, and the `cairn.toml` it
/// shows.
#[test]
fn plugins_guide_examples_run() {
    let text = std::fs::read_to_string(root().join("docs/plugins.md")).expect("docs/plugins.md");
    let toml = text
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a cairn.toml block");
    let mut files = cairn::MemoryLoader::new();
    files.insert("cairn.toml", toml);
    for (path, built) in [
        ("plugins/text.wasm", "examples/plugins/wat/text.wasm"),
        ("plugins/semver.wasm", "examples/plugins/c/semver.wasm"),
    ] {
        files.insert_bytes(
            path,
            std::fs::read(root().join(built)).expect("example plugin"),
        );
    }
    let n = check_examples_with("docs/plugins.md", files);
    assert!(n >= 3, "docs/plugins.md has only {n} examples");
}

#[test]
fn readme_examples_run() {
    check_examples("README.md");
}

/// Compares a generated file with its checked-in copy, or rewrites it under `UPDATE_DOCS=1`.
fn check_generated(path: &str, generated: &str) {
    let full = root().join(path);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&full, generated).expect("write");
        return;
    }
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        current == generated,
        "{path} is stale: run `UPDATE_DOCS=1 cargo test --test main docs` and commit it"
    );
}

#[test]
fn diagnostic_index_is_current() {
    check_generated(
        "docs/diagnostics.md",
        &cairn::diagnostics::codes::markdown(),
    );
}

#[test]
fn builtin_reference_is_current() {
    let mut out = String::from(
        "# Builtin functions\n\n\
         Generated from `src/eval/builtins.rs` by `cargo test`; do not edit by hand.\n\n\
         Builtins are pure: none reads the clock, the environment, the network or files.\n\n\
         | function | description |\n|---|---|\n",
    );
    for b in cairn::eval::BUILTINS {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            b.signature.replace('|', "\\|"),
            b.doc.replace('|', "\\|")
        ));
    }
    check_generated("docs/builtins.md", &out);
}

/// The README's quick start names two commands; CI (`.ci/run`) must run the test command, so a
/// green CI proves what a newcomer is told to type.
#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    let start = readme
        .find("## Quick start")
        .unwrap_or_else(|| panic!("README.md has no quick start"));
    let quick = &readme[start..];
    let quick = &quick[..quick[3..].find("\n## ").map_or(quick.len(), |i| i + 3)];
    let commands: Vec<&str> = quick
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .map(str::trim)
        .collect();
    assert_eq!(
        commands.len(),
        2,
        "the quick start gives a run command and a test command: {commands:?}"
    );
    assert!(
        commands[0].starts_with("cargo run --release"),
        "{commands:?}"
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap_or_default();
    assert!(
        ci.lines().any(|l| l.trim() == commands[1]),
        "`.ci/run` does not run the README's test command `{}`",
        commands[1]
    );
    let script = std::fs::read_to_string(root().join(commands[1])).unwrap_or_default();
    assert!(
        script.contains("cargo test --workspace"),
        "the test command runs every test of the workspace"
    );
}

//! The editor files: the VS Code extension's JSON is valid, it has what `vsce package` needs, and
//! its grammar highlights exactly the language's keywords. (The tree-sitter grammar has its own
//! tests, in editors/tree-sitter-cairn.)

use std::path::Path;

fn json(rel: &str) -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../editors/vscode")
        .join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_extension_files_are_valid_json() {
    let pkg = json("package.json");
    assert_eq!(pkg["contributes"]["languages"][0]["id"], "cairn");
    assert_eq!(
        pkg["contributes"]["grammars"][0]["scopeName"],
        "source.cairn"
    );
    json("language-configuration.json");
}

#[test]
fn the_grammar_knows_every_keyword() {
    let g = json("syntaxes/cairn.tmLanguage.json");
    let patterns = g["repository"]["keywords"]["patterns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let all = patterns
        .iter()
        .filter_map(|p| p["match"].as_str())
        .find(|m| m.contains("import"))
        .unwrap_or_default();
    let inner = all
        .strip_prefix("\\b(?:")
        .and_then(|s| s.strip_suffix(")\\b"))
        .unwrap_or_default();
    let mut listed: Vec<&str> = inner.split('|').collect();
    let mut keywords: Vec<&str> = cairn::syntax::KEYWORDS.to_vec();
    listed.sort_unstable();
    keywords.sort_unstable();
    assert_eq!(listed, keywords);
}

/// `npm run package` (vsce) refuses or prompts without these: a publisher, an engine, a license
/// and its text; `.vscodeignore` keeps the rest out, and Git keeps out what npm and vsce write.
#[test]
fn the_extension_has_what_vsce_needs() {
    let pkg = json("package.json");
    for field in ["name", "publisher", "version", "license"] {
        assert!(pkg[field].is_string(), "package.json has no {field}");
    }
    assert!(pkg["engines"]["vscode"].is_string());
    let script = pkg["scripts"]["package"].as_str().unwrap_or_default();
    assert!(
        script.starts_with("vsce package"),
        "scripts.package: {script}"
    );
    assert!(pkg["devDependencies"]["@vscode/vsce"].is_string());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/vscode");
    for file in ["LICENSE", "README.md", ".vscodeignore", "extension.js"] {
        assert!(dir.join(file).is_file(), "editors/vscode/{file} is missing");
    }
    let ignored = std::fs::read_to_string(dir.join(".gitignore")).unwrap_or_default();
    for pattern in ["node_modules/", "*.vsix"] {
        assert!(
            ignored.lines().any(|l| l == pattern),
            "editors/vscode/.gitignore does not ignore {pattern}"
        );
    }
}

//! The editor files: the VS Code extension's JSON is valid, and its grammar highlights exactly
//! the language's keywords.

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

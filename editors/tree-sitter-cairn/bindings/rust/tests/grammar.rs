//! The tree-sitter grammar against the language: every Cairn file of the repository parses
//! without an error, the grammar rejects what `cairn`'s own parser (grammar/cairn.pest) rejects
//! in the error corpus, and the queries compile and highlight as intended.
//!
//! These tests use the committed `src/parser.c`; whether it is up to date with grammar.js is not
//! checked here (that needs the tree-sitter CLI: see README.md, "Regenerating").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tree_sitter::{Language, Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

fn language() -> Language {
    tree_sitter_cairn::LANGUAGE.into()
}

fn parse(src: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .expect("the generated parser's ABI is supported by the tree-sitter crate");
    parser.parse(src, None).expect("a language is set")
}

/// The root of the repository.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Folders whose files are broken on purpose, relative to the repository. tests/corpus/errors
/// holds one file per diagnostic, syntax errors among them (E0001, E0003, E0006), next to
/// well-formed programs that fail later; it is compared with cairn's parser instead
/// (`the_error_corpus_agrees_with_cairns_parser`). The other error folders
/// (tests/corpus/k8s/errors, tests/corpus/projects/*) hold type and module errors in
/// well-formed files, so they are parsed like the rest.
const ERROR_CORPUS: &str = "tests/corpus/errors";

/// Folders never walked: build output, installed packages, Git's own files.
const NOT_SOURCES: &[&str] = &["target", "node_modules", ".git"];

fn cairn_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !NOT_SOURCES.contains(&name) && !path.ends_with(ERROR_CORPUS) {
                cairn_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "cairn") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    let root = repository();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The first ERROR or MISSING node, with its position (1-based line and column).
fn first_error(node: Node<'_>) -> Option<String> {
    if !node.has_error() {
        return None;
    }
    if node.is_error() || node.is_missing() {
        let p = node.start_position();
        let what = if node.is_missing() {
            format!("missing `{}`", node.kind())
        } else {
            "ERROR".to_string()
        };
        return Some(format!("{what} at {}:{}", p.row + 1, p.column + 1));
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_cairn_file_of_the_repository_parses() {
    let mut files = Vec::new();
    cairn_files(&repository(), &mut files);
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let tree = parse(&read(path));
            first_error(tree.root_node()).map(|e| format!("{}: {e}", relative(path)))
        })
        .collect();
    eprintln!("parsed {} .cairn files of the repository", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The examples, the standard library, the benches and the corpus: a walk that finds far
    // fewer has lost its way.
    assert!(
        files.len() >= 200,
        "only {} .cairn files found",
        files.len()
    );
}

/// Every ```cairn block of the README and docs/ (those marked `error` fail when evaluated,
/// not when parsed), except docs/stdlib.md: generated from doc comments, its blocks are
/// signatures without a body (`fn app_labels(app: App) -> {String: String}`) and sketches with
/// `{ ... }`.
#[test]
fn every_cairn_example_of_the_docs_parses() {
    let root = repository();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    docs.retain(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("docs/stdlib.md"));
    docs.sort();
    pages.extend(docs);
    let mut blocks = 0;
    let mut failures = Vec::new();
    for page in &pages {
        let text = read(page);
        let mut lines = text.lines().enumerate();
        while let Some((at, line)) = lines.next() {
            if !line.starts_with("```cairn") {
                continue;
            }
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| !l.starts_with("```"))
                .collect();
            blocks += 1;
            let src = body.join("\n") + "\n";
            if let Some(e) = first_error(parse(&src).root_node()) {
                failures.push(format!("{}:{}: {e} in the block", relative(page), at + 1));
            }
        }
    }
    eprintln!("parsed {blocks} cairn blocks of the docs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(blocks >= 50, "only {blocks} cairn blocks found");
}

/// Error-corpus files with a syntax error (by their `// expect:` codes) that tree-sitter reads
/// without one, and why.
const LENIENT: &[(&str, &str)] = &[
    (
        "syntax_interpolated_import_path.cairn",
        "a plain import path is checked when lowering, after the pest grammar accepted it",
    ),
    (
        "syntax_keyword_as_name.cairn",
        "tree-sitter reads a keyword where only a name can stand as a name (`fn f(resource)`)",
    ),
    (
        "syntax_param_inside_for.cairn",
        "`param` only at the top level is checked when lowering; the pest grammar accepts it",
    ),
];

/// What cairn's parser accepts, tree-sitter accepts; what its grammar rejects (syntax errors,
/// unterminated strings, doc comments before nothing), tree-sitter rejects too, except the
/// cases listed in `LENIENT`.
#[test]
fn the_error_corpus_agrees_with_cairns_parser() {
    let dir = repository().join(ERROR_CORPUS);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cairn"))
        .collect();
    paths.sort();
    let mut disagreements = Vec::new();
    let mut lenient = Vec::new();
    for path in &paths {
        let src = read(path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let expected: Vec<&str> = src
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect:"))
            .map(|codes| codes.split([',', ' ']).filter(|c| !c.is_empty()).collect())
            .unwrap_or_default();
        let cairn_accepts = cairn::syntax::parse(cairn::source::FileId(0), &src)
            .errors
            .is_empty();
        let error = first_error(parse(&src).root_node());
        if cairn_accepts && let Some(e) = &error {
            disagreements.push(format!("{name}: cairn parses it, tree-sitter finds {e}"));
        }
        let syntax_error = expected
            .iter()
            .any(|c| matches!(*c, "E0001" | "E0003" | "E0006"));
        if syntax_error && error.is_none() {
            lenient.push(name);
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    let known: Vec<&str> = LENIENT.iter().map(|(name, _)| *name).collect();
    assert_eq!(lenient, known, "syntax errors tree-sitter does not see");
    assert!(paths.len() >= 100, "only {} error cases found", paths.len());
}

fn query(rel: &str) -> Query {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("queries")
        .join(rel);
    Query::new(&language(), &read(&path)).unwrap_or_else(|e| panic!("queries/{rel}: {e}"))
}

#[test]
fn every_query_compiles() {
    for rel in [
        "highlights.scm",
        "locals.scm",
        "injections.scm",
        "indents.scm",
        "helix/highlights.scm",
        "helix/locals.scm",
        "helix/injections.scm",
        "helix/indents.scm",
    ] {
        query(rel);
    }
    // The constants of the crate are the same files.
    for text in [
        tree_sitter_cairn::HIGHLIGHTS_QUERY,
        tree_sitter_cairn::LOCALS_QUERY,
        tree_sitter_cairn::INJECTIONS_QUERY,
        tree_sitter_cairn::INDENTS_QUERY,
    ] {
        assert!(Query::new(&language(), text).is_ok());
    }
}

/// Every capture of a query over a file, by node: its text and the capture names, in the order
/// of the patterns that made them. Captures starting with `_` are helpers, not highlights.
fn captures(query: &Query, src: &str) -> BTreeMap<(usize, usize, usize), Vec<(usize, String)>> {
    let tree = parse(src);
    let mut cursor = QueryCursor::new();
    let mut by_node: BTreeMap<(usize, usize, usize), Vec<(usize, String)>> = BTreeMap::new();
    let mut matches = cursor.matches(query, tree.root_node(), src.as_bytes());
    while let Some(m) = matches.next() {
        for c in m.captures {
            let name = query.capture_names()[c.index as usize];
            if name.starts_with('_') {
                continue;
            }
            let key = (c.node.start_byte(), c.node.end_byte(), c.node.id());
            by_node
                .entry(key)
                .or_default()
                .push((m.pattern_index, name.to_string()));
        }
    }
    for names in by_node.values_mut() {
        names.sort();
    }
    by_node
}

/// The highlight of each captured node when the last matching pattern wins (Neovim, Helix,
/// Zed), by byte range.
fn highlights(query: &Query, src: &str) -> BTreeMap<(usize, usize), String> {
    captures(query, src)
        .into_iter()
        .filter_map(|((start, end, _), names)| names.last().map(|(_, n)| ((start, end), n.clone())))
        .collect()
}

/// The highlight of `needle` where it first occurs in the first occurrence of `context`.
fn highlight_of(
    map: &BTreeMap<(usize, usize), String>,
    src: &str,
    context: &str,
    needle: &str,
) -> String {
    let start = src
        .find(context)
        .and_then(|at| context.find(needle).map(|i| at + i))
        .unwrap_or_else(|| panic!("`{needle}` in `{context}` is not in the sample"));
    map.get(&(start, start + needle.len()))
        .cloned()
        .unwrap_or_else(|| "(none)".to_string())
}

const SAMPLE: &str = r#"import std.lists as l
/// The port.
param port: Int(1..=65535) = 8080
type Env = "dev" | "prod" | -1
schema Service { name: String, replicas?: Int = 1 }
fn url(host: String) -> String = "http://${host}:${port}/\n"
resource web: k8s.Deployment(protect: true) { metadata.name: "web" }
for r in ["eu", "us"] if r != "cn" { "${r}": l.chunk([1, 2], 1) }
// a comment
ports: [for p in [80, 443]: p * 2, ...extra]
size: len(url("web")) ?? -1.5
ok: if true { null } else { false }
"#;

/// (context, text in it, highlight in queries/highlights.scm, in helix/highlights.scm)
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    (
        "import std",
        "import",
        "keyword.import",
        "keyword.control.import",
    ),
    ("import std", "std", "module", "namespace"),
    (
        "lists as l",
        "as",
        "keyword.import",
        "keyword.control.import",
    ),
    (
        "/// The port.",
        "/// The port.",
        "comment.documentation",
        "comment.line.documentation",
    ),
    ("param port", "param", "keyword", "keyword"),
    ("param port", "port", "variable", "variable"),
    ("Int(1", "Int", "type.builtin", "type.builtin"),
    ("(1..=", "1", "number", "constant.numeric.integer"),
    ("..=", "..=", "operator", "operator"),
    ("type Env", "type", "keyword.type", "keyword.storage.type"),
    ("type Env", "Env", "type.definition", "type"),
    ("\"dev\"", "\"dev\"", "string", "string"),
    ("| \"prod\"", "|", "operator", "operator"),
    ("| -1", "-1", "number", "constant.numeric"),
    (
        "schema Service",
        "schema",
        "keyword.type",
        "keyword.storage.type",
    ),
    ("{ name:", "name", "property", "variable.other.member"),
    (
        "replicas?",
        "?",
        "punctuation.special",
        "punctuation.special",
    ),
    ("fn url", "fn", "keyword.function", "keyword.function"),
    ("fn url", "url", "function", "function"),
    ("(host:", "host", "variable.parameter", "variable.parameter"),
    (
        ") -> String",
        "->",
        "punctuation.delimiter",
        "punctuation.delimiter",
    ),
    (
        "${host}",
        "${",
        "punctuation.special",
        "punctuation.special",
    ),
    ("${host}", "}", "punctuation.special", "punctuation.special"),
    ("/\\n", "\\n", "string.escape", "constant.character.escape"),
    ("resource web", "resource", "keyword", "keyword"),
    ("k8s.Deployment", "k8s", "module", "namespace"),
    ("k8s.Deployment", "Deployment", "type", "type"),
    (
        "protect: true",
        "protect",
        "property",
        "variable.other.member",
    ),
    (
        "protect: true",
        "true",
        "boolean",
        "constant.builtin.boolean",
    ),
    (
        "metadata.name",
        "metadata",
        "property",
        "variable.other.member",
    ),
    ("true) {", "{", "punctuation.bracket", "punctuation.bracket"),
    (
        "for r in",
        "for",
        "keyword.repeat",
        "keyword.control.repeat",
    ),
    ("r in [", "r", "variable", "variable"),
    ("for r in", "in", "keyword.operator", "keyword.operator"),
    (
        "if r !=",
        "if",
        "keyword.conditional",
        "keyword.control.conditional",
    ),
    ("r != \"cn\"", "!=", "operator", "operator"),
    ("l.chunk", "chunk", "function.method.call", "function"),
    ("// a comment", "// a comment", "comment", "comment.line"),
    ("p * 2", "*", "operator", "operator"),
    ("...extra", "...", "operator", "operator"),
    ("len(", "len", "function.builtin", "function.builtin"),
    ("url(\"web\")", "url", "function.call", "function"),
    ("?? -1.5", "??", "operator", "operator"),
    ("?? -1.5", "-", "operator", "operator"),
    ("?? -1.5", "1.5", "number.float", "constant.numeric.float"),
    ("{ null }", "null", "constant.builtin", "constant.builtin"),
    (
        "} else {",
        "else",
        "keyword.conditional",
        "keyword.control.conditional",
    ),
];

#[test]
fn the_highlights_capture_a_sample() {
    assert!(
        first_error(parse(SAMPLE).root_node()).is_none(),
        "the sample parses"
    );
    let generic = highlights(&query("highlights.scm"), SAMPLE);
    let helix = highlights(&query("helix/highlights.scm"), SAMPLE);
    let mut wrong = Vec::new();
    for &(context, text, want, want_helix) in EXPECTED {
        let got = highlight_of(&generic, SAMPLE, context, text);
        if got != want {
            wrong.push(format!("`{text}` in `{context}`: {got}, expected {want}"));
        }
        let got = highlight_of(&helix, SAMPLE, context, text);
        if got != want_helix {
            wrong.push(format!(
                "helix: `{text}` in `{context}`: {got}, expected {want_helix}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// In queries/highlights.scm no node gets two different highlights, so highlighters that let
/// the first pattern win (tree-sitter-highlight, GitHub) and those that let the last one win
/// (Neovim, Zed) show the same colours. Checked over every file of the repository.
#[test]
fn no_node_gets_two_highlights() {
    let query = query("highlights.scm");
    let mut files = Vec::new();
    cairn_files(&repository(), &mut files);
    files.push(PathBuf::new()); // the sample
    let mut overlaps = Vec::new();
    for path in &files {
        let src = if path.as_os_str().is_empty() {
            SAMPLE.to_string()
        } else {
            read(path)
        };
        for ((start, end, _), names) in captures(&query, &src) {
            let mut distinct: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
            distinct.dedup();
            if distinct.len() > 1 && overlaps.len() < 20 {
                overlaps.push(format!(
                    "{}: `{}` is {}",
                    relative(path),
                    &src[start..end],
                    distinct.join(" and ")
                ));
            }
        }
    }
    assert!(overlaps.is_empty(), "{}", overlaps.join("\n"));
}

/// The lists in the queries are the language's: keywords (grammar.js and the highlights),
/// builtin functions and builtin types.
#[test]
fn the_queries_know_the_language() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let grammar = read(&dir.join("grammar.js"));
    let listed = grammar
        .split_once("const KEYWORDS = [")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .unwrap_or_default();
    let listed: Vec<&str> = listed
        .split(',')
        .map(|k| k.trim().trim_matches('\''))
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(listed, cairn::syntax::KEYWORDS, "grammar.js KEYWORDS");

    let builtins: Vec<&str> = cairn::eval::BUILTINS.iter().map(|b| b.name).collect();
    for rel in ["highlights.scm", "helix/highlights.scm"] {
        let text = read(&dir.join("queries").join(rel));
        for kw in cairn::syntax::KEYWORDS {
            assert!(
                text.contains(&format!("\"{kw}\"")) || text.contains(&format!("({kw})")),
                "{rel} does not highlight `{kw}`"
            );
        }
        assert_eq!(
            any_of(&text, "@function.builtin"),
            builtins,
            "{rel}: builtins"
        );
        assert_eq!(
            any_of(&text, "@type.builtin"),
            cairn::types::BUILTIN_TYPES,
            "{rel}: builtin types"
        );
    }
}

/// The strings of the `(#any-of? CAPTURE ...)` predicate of a query.
fn any_of<'t>(text: &'t str, capture: &str) -> Vec<&'t str> {
    let head = format!("(#any-of? {capture}");
    let Some((_, rest)) = text.split_once(&head) else {
        return Vec::new();
    };
    let body = rest.split_once(')').map_or(rest, |(b, _)| b);
    body.split_whitespace()
        .map(|s| s.trim_matches('"'))
        .collect()
}

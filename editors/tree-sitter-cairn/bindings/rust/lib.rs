//! The Cairn grammar for [tree-sitter]: the parser generated from `grammar.js` (which follows
//! `grammar/cairn.pest`) and the queries editors use.
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser
//!     .set_language(&tree_sitter_cairn::LANGUAGE.into())
//!     .expect("the generated parser's ABI is supported");
//! let tree = parser.parse("port: 8080\n", None).expect("a language is set");
//! assert!(!tree.root_node().has_error());
//! ```
//!
//! [tree-sitter]: https://tree-sitter.github.io/

use tree_sitter_language::LanguageFn;

// SAFETY: `tree_sitter_cairn` is defined by the generated `src/parser.c`, compiled and linked by
// build.rs; it takes no arguments and returns a pointer to a static `TSLanguage`.
#[allow(unsafe_code)]
unsafe extern "C" {
    fn tree_sitter_cairn() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for Cairn.
// SAFETY: see the declaration of `tree_sitter_cairn` above.
#[allow(unsafe_code)]
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_cairn) };

/// The content of `src/node-types.json`: every node kind and its fields.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// Highlights with nvim-treesitter's capture names, which tree-sitter's own highlighter, GitHub
/// and Zed read too. No two patterns capture the same node.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");
/// Scopes, definitions and references of local names.
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");
/// Languages embedded in Cairn strings (regular expressions, JSON, YAML).
pub const INJECTIONS_QUERY: &str = include_str!("../../queries/injections.scm");
/// Indentation, with nvim-treesitter's capture names.
pub const INDENTS_QUERY: &str = include_str!("../../queries/indents.scm");

#[cfg(test)]
mod tests {
    #[test]
    fn the_language_loads() {
        let mut parser = tree_sitter::Parser::new();
        assert!(parser.set_language(&super::LANGUAGE.into()).is_ok());
    }
}

//! Syntax: the pest grammar (grammar/cairn.pest), our AST, and the lowering between them.
//!
//! Entry points are [`parse`] for a file and [`parse_expr`] for a lone expression. Neither fails:
//! they return what could be parsed together with diagnostics. No pest type is public.

pub mod ast;
mod lower;
mod parse;
mod trivia;

pub use lower::MAX_EXPR_DEPTH;
pub use parse::{Parse, parse, parse_expr};
pub use trivia::MAX_NESTING;

/// Words the grammar reserves: they cannot name a `let`, a parameter, a function, a schema or
/// a resource (they can be object keys and schema fields).
pub const KEYWORDS: &[&str] = &[
    "import", "as", "param", "let", "fn", "type", "schema", "extends", "check", "resource", "for",
    "in", "if", "else", "true", "false", "null",
];

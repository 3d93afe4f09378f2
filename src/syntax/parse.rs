//! Parsing: text in, AST and diagnostics out. Parsing never fails at the API.
//!
//! The file is parsed one item at a time with the pest rule `item_at`. When an item does not
//! parse, its diagnostic is recorded, an [`ItemKind::Error`] placeholder stands in for it, and
//! parsing resumes at the next line that starts at column 0 outside any string or bracket: one
//! broken item does not hide the rest of the file. pest types stay inside this module and
//! `lower`.

use pest::Parser;
use pest::error::InputLocation;
use pest_derive::Parser;

use super::ast::{Expr, Item, ItemKind, Module, Span};
use super::lower::Lowerer;
use super::trivia::{self, MAX_NESTING};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::FileId;

#[derive(Parser)]
#[grammar = "../grammar/cairn.pest"]
pub(crate) struct CairnParser;

/// The result of parsing a file: the module (with `Error` items where items did not parse) and
/// the syntax diagnostics.
#[derive(Clone, Debug)]
pub struct Parse {
    pub module: Module,
    pub errors: Vec<Diagnostic>,
}

/// Parses a whole file.
pub fn parse(file: FileId, src: &str) -> Parse {
    // Deeply nested input recurses deeply in the parser and in every later stage; refuse it
    // up front with a clear diagnostic.
    let trivia = trivia::scan(src);
    if let Some(at) = trivia.too_deep_at {
        let err = Diagnostic::error(
            codes::TOO_DEEP,
            format!("nesting is deeper than {MAX_NESTING} levels"),
        )
        .at(file, Span::new(at, at + 1), "too deep here")
        .with_help("flatten the structure, or build it with a function or a comprehension");
        return Parse {
            module: Module {
                file,
                items: Vec::new(),
                comments: trivia.comments,
            },
            errors: vec![err],
        };
    }
    pest::set_error_detail(true);
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut pos = skip_trivia(src, 0);
    while pos < src.len() {
        let rest = &src[pos..];
        match stacker::maybe_grow(256 * 1024, 16 * 1024 * 1024, || {
            CairnParser::parse(Rule::item_at, rest)
        }) {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { break };
                let end = pos + pair.as_span().end();
                let mut lowerer = Lowerer::new(file, pos);
                let item = lowerer.item(pair);
                errors.append(&mut lowerer.errors);
                items.push(item);
                pos = skip_trivia(src, end);
                // Items may be separated by commas, like object entries.
                if src[pos..].starts_with(',') {
                    pos = skip_trivia(src, pos + 1);
                }
            }
            Err(e) => {
                let err_at = pos
                    + match e.location {
                        InputLocation::Pos(p) => p,
                        InputLocation::Span((s, _)) => s,
                    };
                errors.push(syntax_error(file, src, pos, err_at, &e));
                // Resume at the first item start on or after the error's line, past this item.
                let err_line = src[..err_at].rfind('\n').map_or(0, |i| i + 1);
                let resume = trivia
                    .item_starts
                    .iter()
                    .copied()
                    .find(|&s| s > pos && s >= err_line)
                    .unwrap_or(src.len());
                items.push(Item {
                    doc: None,
                    kind: ItemKind::Error,
                    span: Span::new(pos, resume),
                });
                pos = skip_trivia(src, resume);
            }
        }
    }
    Parse {
        module: Module {
            file,
            items,
            comments: trivia.comments,
        },
        errors,
    }
}

/// Parses a lone expression (`cairn eval -e`).
pub fn parse_expr(file: FileId, src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let trivia = trivia::scan(src);
    if let Some(at) = trivia.too_deep_at {
        return Err(vec![
            Diagnostic::error(
                codes::TOO_DEEP,
                format!("nesting is deeper than {MAX_NESTING} levels"),
            )
            .at(file, Span::new(at, at + 1), "too deep here"),
        ]);
    }
    pest::set_error_detail(true);
    match stacker::maybe_grow(256 * 1024, 16 * 1024 * 1024, || {
        CairnParser::parse(Rule::expr_only, src)
    }) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return Err(vec![Diagnostic::error(
                    codes::SYNTAX,
                    "expected an expression",
                )]);
            };
            let mut lowerer = Lowerer::new(file, 0);
            let expr = lowerer.expr(pair);
            if lowerer.errors.is_empty() {
                Ok(expr)
            } else {
                Err(lowerer.errors)
            }
        }
        Err(e) => {
            let at = match e.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
            Err(vec![syntax_error(file, src, 0, at, &e)])
        }
    }
}

/// Skips white space and regular comments (not doc comments) from `pos`.
fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let b = src.as_bytes();
    loop {
        while pos < b.len() && matches!(b[pos], b' ' | b'\t' | b'\r' | b'\n') {
            pos += 1;
        }
        if src[pos..].starts_with("\u{FEFF}") {
            pos += 3;
            continue;
        }
        let rest = &src[pos..];
        if rest.starts_with("////") || (rest.starts_with("//") && !rest.starts_with("///")) {
            pos = rest.find('\n').map_or(src.len(), |n| pos + n);
            continue;
        }
        if rest.starts_with("/*") {
            let mut depth = 0usize;
            let mut i = pos;
            while i < b.len() {
                if src[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if src[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            pos = i;
            continue;
        }
        return pos;
    }
}

/// Turns a pest error into our diagnostic, with a readable "expected ..." list.
fn syntax_error(
    file: FileId,
    src: &str,
    item_start: usize,
    at: usize,
    e: &pest::error::Error<Rule>,
) -> Diagnostic {
    let found = describe_found(src, at);
    let rest = &src[at.min(src.len())..];

    // A few shapes deserve their own message.
    if rest.starts_with('"') && !rest.starts_with("\"\"\"") {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if !rest[1..line_end].contains('"') {
            return Diagnostic::error(codes::UNTERMINATED_STRING, "unterminated string")
                .at(file, Span::new(at, at + 1), "this string is not closed")
                .with_help(
                    "close it with `\"` on the same line, or use `\"\"\"` for a multi-line string",
                );
        }
    }
    if at < src.len() {
        let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &src[line_start..];
        let trimmed = line.trim_start();
        if trimmed.starts_with("///") && !trimmed.starts_with("////") && at >= item_start {
            let doc_at = line_start + (line.len() - trimmed.len());
            if doc_at == at {
                return Diagnostic::error(codes::MISPLACED_DOC, "doc comment documents nothing")
                    .at(file, Span::new(at, at + 3), "a doc comment here")
                    .with_help("put it right before an item, a schema member or an object entry, or use `//`");
            }
        }
    }
    if at >= src.len() && trimmed_ends_with_doc(&src[item_start..]) {
        let doc_at = src[..src.len()].rfind("///").unwrap_or(item_start);
        return Diagnostic::error(codes::MISPLACED_DOC, "doc comment documents nothing")
            .at(
                file,
                Span::new(doc_at, doc_at + 3),
                "nothing follows this doc comment",
            )
            .with_help("remove it, or write `//` for a plain comment");
    }

    let mut expected: Vec<String> = Vec::new();
    if let Some(attempts) = e.parse_attempts() {
        for t in attempts.expected_tokens() {
            let t = t.to_string();
            // Character ranges ("a..z") and built-in rules say nothing useful to a reader.
            let is_range = t.chars().count() == 4 && t.contains("..");
            if is_range || t == "BUILTIN_RULE" || t.trim().is_empty() {
                continue;
            }
            push_unique(&mut expected, format!("`{t}`"));
        }
    }
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(name) = rule_name(*r) {
                push_unique(&mut expected, name.to_string());
            }
        }
    }
    expected.retain(|s| !s.starts_with("`/") && s != "`\u{FEFF}`");
    // Operators and postfix tokens only say "the expression could go on": name them once.
    const OPERATORS: &[&str] = &[
        "`!=`", "`%`", "`&&`", "`*`", "`+`", "`-`", "`/`", "`<`", "`<=`", "`==`", "`>`", "`>=`",
        "`??`", "`||`", "`.`", "`?.`", "`(`", "`[`", "`!`",
    ];
    let before = expected.len();
    expected.retain(|s| !OPERATORS.contains(&s.as_str()) && s != "an operator");
    if expected.len() < before {
        expected.push("an operator".to_string());
    }
    // Where an item could start, list the kinds of items rather than their first tokens.
    if expected.iter().any(|s| s == "`import`") {
        expected.retain(|s| s.starts_with("`}`"));
        expected.push("an item (`name: value`, `let`, `fn`, `param`, `type`, `schema`, `resource`, `import`, `for` or `if`)".to_string());
    } else if expected.iter().any(|s| s == "`check`") {
        expected.retain(|s| s == "`}`");
        expected.push("a schema field (`name: Type`) or `check`".to_string());
    }
    // Closing brackets and separators first: they are the usual fix.
    expected.sort_by_key(|s| {
        let rank = match s.as_str() {
            "`]`" | "`}`" | "`)`" => 0,
            "`,`" | "`:`" | "`=`" => 1,
            "an operator" => 3,
            _ => 2,
        };
        (rank, s.clone())
    });
    expected.truncate(8);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let end = next_char_end(src, at);
    let mut d = Diagnostic::error(codes::SYNTAX, message).at(
        file,
        Span::new(at, end),
        format!("unexpected {found}"),
    );
    if item_start < at {
        d = d.also(
            file,
            Span::new(item_start, item_start),
            "in the item starting here",
        );
    }
    d.with_help(syntax_help(&expected))
}

fn trimmed_ends_with_doc(s: &str) -> bool {
    s.trim_end()
        .lines()
        .last()
        .is_some_and(|l| l.trim_start().starts_with("///"))
        && s.lines().all(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with("//")
        })
}

fn syntax_help(expected: &[String]) -> String {
    if expected
        .iter()
        .any(|e| e == "`}`" || e == "`]`" || e == "`)`")
    {
        "check that every bracket is closed and that entries are separated by `,` or a new line"
            .to_string()
    } else if expected.iter().any(|e| e == "an expression") {
        "write a value here: a literal, a name, a list `[...]` or an object `{...}`".to_string()
    } else {
        "see docs/language.md for the syntax of each construct".to_string()
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn next_char_end(src: &str, at: usize) -> usize {
    if at >= src.len() {
        return src.len();
    }
    let c = src[at..].chars().next().map_or(0, char::len_utf8);
    at + c
}

fn describe_found(src: &str, at: usize) -> String {
    if at >= src.len() {
        return "end of file".to_string();
    }
    let rest = &src[at..];
    let c = rest.chars().next().unwrap_or(' ');
    if c == '\n' || c == '\r' {
        return "end of line".to_string();
    }
    if c.is_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return format!("`{word}`");
    }
    format!("`{c}`")
}

/// A readable name for the grammar rules worth naming in "expected ..." messages.
fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr | Rule::if_expr | Rule::let_expr | Rule::lambda | Rule::paren => "an expression",
        Rule::null_lit | Rule::true_lit | Rule::false_lit | Rule::float_lit | Rule::int_lit => {
            "an expression"
        }
        Rule::string | Rule::ml_string => "a string",
        Rule::list => "a list",
        Rule::object => "an object",
        Rule::ident => "a name",
        Rule::key | Rule::key_name | Rule::key_path | Rule::member => "a key",
        Rule::type_expr | Rule::named_type | Rule::type_path | Rule::type_literal => "a type",
        Rule::item | Rule::field_item => "an item",
        Rule::entry | Rule::field_entry => "an entry",
        Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem
        | Rule::op_and
        | Rule::op_or
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_lt
        | Rule::op_le
        | Rule::op_gt
        | Rule::op_ge
        | Rule::op_coalesce => "an operator",
        Rule::schema_member | Rule::schema_field | Rule::check => "a schema field",
        Rule::range => "a range",
        _ => return None,
    })
}

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
    // pest recurses once per grammar rule; nesting up to MAX_NESTING needs more stack than a
    // small thread has, so parse on a stack segment of our own when this one runs low.
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || parse_file(file, src))
}

const STACK_RED_ZONE: usize = 8 * 1024 * 1024;
const STACK_SIZE: usize = 64 * 1024 * 1024;

fn parse_file(file: FileId, src: &str) -> Parse {
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
        match CairnParser::parse(Rule::item_at, rest) {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { break };
                let end = pos + pair.as_span().end();
                let mut lowerer = Lowerer::new(file, pos, &trivia.comments);
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
                errors.push(syntax_error(
                    file,
                    src,
                    pos,
                    err_at,
                    &e,
                    &trivia.unterminated,
                ));
                // Resume at the first item start on or after the error's line, past this item.
                let err_line = src[..err_at].rfind('\n').map_or(0, |i| i + 1);
                let resume = trivia
                    .item_starts
                    .iter()
                    .copied()
                    .find(|&s| s > pos && s >= err_line)
                    .unwrap_or(src.len());
                items.push(Item {
                    file,
                    doc: None,
                    kind: ItemKind::Error,
                    span: Span::new(pos, resume),
                });
                pos = skip_trivia(src, resume);
            }
        }
    }
    // A block comment left open swallows the rest of the file without a word from pest when
    // it starts between items; say so, unless an error there already does.
    if let Some(start) = trivia.unclosed_comment
        && !errors
            .iter()
            .any(|e| e.primary().is_some_and(|l| l.span.start as usize >= start))
    {
        errors.push(
            Diagnostic::error(codes::UNTERMINATED_COMMENT, "unterminated block comment")
                .at(
                    file,
                    Span::new(start, start + 2),
                    "this comment is never closed, so the rest of the file is ignored",
                )
                .with_help("close it with `*/`; block comments nest, so each `/*` inside it needs its own `*/`"),
        );
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
    let parsed = stacker::maybe_grow(STACK_RED_ZONE, STACK_SIZE, || {
        CairnParser::parse(Rule::expr_only, src).map(|mut pairs| {
            pairs.next().map(|pair| {
                let mut lowerer = Lowerer::new(file, 0, &trivia.comments);
                let expr = lowerer.expr(pair);
                (expr, lowerer.errors)
            })
        })
    });
    match parsed {
        Ok(None) => Err(vec![
            Diagnostic::error(codes::SYNTAX, "expected an expression")
                .at(file, Span::new(0, src.len()), "")
                .with_help("write an expression, like `len(services)`"),
        ]),
        Ok(Some((expr, errors))) => {
            if errors.is_empty() {
                Ok(expr)
            } else {
                Err(errors)
            }
        }
        Err(e) => {
            let at = match e.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
            Err(vec![syntax_error(
                file,
                src,
                0,
                at,
                &e,
                &trivia.unterminated,
            )])
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
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
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

/// Where a pest error is: the furthest position any rule got to, which is where the text
/// stopped making sense.
fn error_position(e: &pest::error::Error<Rule>) -> usize {
    let at = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    e.parse_attempts().map_or(at, |a| a.max_position.max(at))
}

/// Tokens that can only start an expression; when pest lists several of them, we say
/// "an expression" instead.
const EXPRESSION_START: &[&str] = &[
    "`\"\"\"`", "`\"`", "`0b`", "`0o`", "`0x`", "`_`", "`false`", "`true`", "`null`", "`fn`",
    "`if`", "`let`", "`...`", "`{`", "`(`", "`!`", "`-`", "`for`",
];

/// Operators and postfix tokens: they only say "the expression could go on".
const OPERATORS: &[&str] = &[
    "`!=`", "`%`", "`&&`", "`*`", "`+`", "`-`", "`/`", "`<`", "`<=`", "`==`", "`>`", "`>=`",
    "`??`", "`||`", "`.`", "`?.`", "`(`", "`[`", "`!`",
];

/// Turns a pest error into our diagnostic, with a readable "expected ..." list and, for the
/// common mistakes, a message and a help line of their own.
fn syntax_error(
    file: FileId,
    src: &str,
    item_start: usize,
    at: usize,
    e: &pest::error::Error<Rule>,
    unterminated: &[usize],
) -> Diagnostic {
    if let pest::error::ErrorVariant::CustomError { message } = &e.variant
        && message.contains("limit reached")
    {
        return Diagnostic::error(codes::TOO_DEEP, "the parser ran out of stack")
            .at(file, Span::new(at, next_char_end(src, at)), "too deep here")
            .with_help("flatten the structure, or build it with a function or a comprehension");
    }
    let at = (item_start + error_position(e).saturating_sub(0))
        .max(at)
        .min(src.len());
    let at = if at > src.len() { src.len() } else { at };

    // An unclosed string in this item explains everything after it.
    if let Some(&start) = unterminated.iter().find(|&&s| s >= item_start && s <= at) {
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        return Diagnostic::error(codes::UNTERMINATED_STRING, "unterminated string")
            .at(
                file,
                Span::new(start, line_end.max(start + 1)),
                "this string is not closed",
            )
            .with_help(
                "close it with `\"` on the same line, or use `\"\"\"` for a multi-line string",
            );
    }

    // A doc comment that documents nothing: the error is at it, or right after it.
    let prev_end = previous_token_end(src, item_start, at);
    if let Some(doc_at) =
        doc_comment_at(src, at).or_else(|| last_doc_comment_before(src, prev_end, at))
    {
        return Diagnostic::error(codes::MISPLACED_DOC, "doc comment documents nothing")
            .at(file, Span::new(doc_at, doc_at + 3), "this doc comment")
            .with_help("put it right before an item, a schema member or an object entry, or use `//` for a plain comment");
    }

    // An item that ends right before an opening bracket that is never closed: the bracket
    // belongs to the item before (`f(x` then a new line), and is the real problem.
    if let Some(c) = src[at..]
        .chars()
        .next()
        .filter(|c| matches!(c, '(' | '[' | '{'))
        && at == item_start
    {
        let close = match c {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        if bracket_balance(&src[at..], c, close) > 0 {
            return Diagnostic::error(codes::SYNTAX, format!("this `{c}` is never closed"))
                .at(
                    file,
                    Span::new(at, at + 1),
                    format!("opened here, with no matching `{close}`"),
                )
                .with_help(format!("add `{close}` where the brackets should end"));
        }
    }

    let found = describe_found(src, at);
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

    // A keyword where a name was expected: pest stops right after the keyword.
    if expected.iter().any(|e| e == "a name") {
        let word_start = src[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            .last()
            .map_or(at, |(i, _)| i);
        let word = &src[word_start..at];
        if super::KEYWORDS.contains(&word) {
            return Diagnostic::error(
                codes::SYNTAX,
                format!("`{word}` is a keyword, so it cannot be a name"),
            )
            .at(file, Span::new(word_start, at), "a keyword")
            .with_help(format!(
                "choose another name, such as `{word}_` or `{word}_name` (keywords can still be object keys and fields: `{word}: ...`)"
            ));
        }
    }
    let starts = expected
        .iter()
        .filter(|s| EXPRESSION_START.contains(&s.as_str()))
        .count();
    if starts >= 3 || expected.iter().any(|s| s == "an expression") {
        expected.retain(|s| {
            !EXPRESSION_START.contains(&s.as_str())
                && s != "a string"
                && s != "a list"
                && s != "an object"
                && s != "a name"
        });
        push_unique(&mut expected, "an expression".to_string());
    }
    let before = expected.len();
    expected.retain(|s| !OPERATORS.contains(&s.as_str()) && s != "an operator");
    if expected.len() < before {
        expected.push("an operator".to_string());
    }
    // Where an item could start, name the kinds of items rather than their first tokens.
    if expected.iter().any(|s| s == "`import`") {
        expected.retain(|s| s == "`}`");
        expected.push("an item".to_string());
    } else if expected.iter().any(|s| s == "`check`") {
        expected.retain(|s| s == "`}`");
        expected.push("a schema field (`name: Type`) or `check`".to_string());
    }
    // Mid-item, "an item" is noise: the item is not finished.
    if expected.len() > 1 && at > item_start {
        expected.retain(|s| s != "an item");
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
    expected.truncate(6);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };

    let help = syntax_help(src, at, prev_end, &expected);
    // When the unexpected token starts a later line, the mistake is at the end of the line
    // before: point there, and show the token as context.
    let on_later_line = prev_end > item_start && src[prev_end..at].contains('\n');
    let mut d = Diagnostic::error(codes::SYNTAX, message);
    if on_later_line {
        let last = prev_char_start(src, prev_end);
        let wanted = expected.first().map_or("more".to_string(), |s| s.clone());
        d = d
            .at(
                file,
                Span::new(last, prev_end),
                format!("expected {wanted} after this"),
            )
            .also(
                file,
                Span::new(at, next_char_end(src, at)),
                format!("found {found}"),
            );
    } else {
        d = d.at(
            file,
            Span::new(at, next_char_end(src, at)),
            format!("unexpected {found}"),
        );
        if item_start < at && !src[item_start..at].contains('\n') {
            // The item is on this line; the span already shows it.
        } else if item_start < at {
            d = d.also(
                file,
                Span::new(item_start, item_start),
                "in the item starting here",
            );
        }
    }
    d.with_help(help)
}

/// The end of the last token before `at` (skipping white space and comments), not before
/// `floor`.
fn previous_token_end(src: &str, floor: usize, at: usize) -> usize {
    let mut end = at.min(src.len());
    loop {
        let trimmed = src[floor..end].trim_end();
        end = floor + trimmed.len();
        // A line comment at the end of the line: cut it.
        let line_start = src[..end].rfind('\n').map_or(0, |i| i + 1).max(floor);
        let line = &src[line_start..end];
        match line_comment_start(line) {
            Some(c) if line_start + c < end => end = line_start + c,
            _ => return end,
        }
    }
}

/// Where a `//` comment starts in one line of code, outside strings.
fn line_comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn prev_char_start(src: &str, end: usize) -> usize {
    src[..end]
        .char_indices()
        .next_back()
        .map_or(end, |(i, _)| i)
}

/// The start of the doc comment that `at` falls on (at its `///`), if any.
fn doc_comment_at(src: &str, at: usize) -> Option<usize> {
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &src[line_start..];
    let trimmed = line.trim_start();
    let doc = line_start + (line.len() - trimmed.len());
    (trimmed.starts_with("///") && !trimmed.starts_with("////") && at >= doc && at <= doc + 3)
        .then_some(doc)
}

/// The start of the doc comment that is the last thing before `at`, when the text at `at`
/// closes a block or ends the file (so the doc comment has nothing to document).
fn last_doc_comment_before(src: &str, prev_end: usize, at: usize) -> Option<usize> {
    let rest = src[at..].trim_start();
    if !(rest.is_empty() || rest.starts_with(['}', ']', ')'])) {
        return None;
    }
    let between = &src[prev_end.min(at)..at];
    let mut found = None;
    let mut offset = prev_end.min(at);
    for line in between.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("///") && !t.starts_with("////") {
            found = Some(offset + (line.len() - t.len()));
        }
        offset += line.len();
    }
    found
}

fn syntax_help(src: &str, at: usize, prev_end: usize, expected: &[String]) -> String {
    let rest = &src[at..];
    let wants_value = expected.iter().any(|e| e == "an expression");
    if rest.starts_with('#') {
        return "comments start with `//` (or `/* ... */`); `#` is not used in Cairn".to_string();
    }
    if wants_value && src[..prev_end].ends_with(':') {
        return "the value after `:` is missing; write one, like `replicas: 3`".to_string();
    }
    if wants_value && rest.starts_with(',') {
        return "two separators in a row: remove one, or put a value between them".to_string();
    }
    if let Some(c) = rest.chars().next().filter(|c| matches!(c, '}' | ']' | ')')) {
        let open = match c {
            '}' => '{',
            ']' => '[',
            _ => '(',
        };
        if bracket_balance(&src[..at], open, c) <= 0 {
            return format!("this `{c}` has no matching `{open}` before it");
        }
    }
    // `key:` at the end of a line, then `other: ...`: the value of `key` is missing.
    if rest.starts_with(':') {
        let before = &src[..prev_end];
        let word_start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let head = before[..word_start].trim_end();
        if head.ends_with(':') && before[..word_start].contains('\n') {
            let word = &before[word_start..];
            let key_start = head[..head.len() - 1]
                .rfind(|c: char| {
                    !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '"')
                })
                .map_or(0, |i| i + 1);
            let key = &head[key_start..head.len() - 1];
            return format!(
                "`{key}:` has no value, so `{word}` on the next line was read as its value; write the value after `{key}:`"
            );
        }
    }
    if expected.iter().any(|e| e == "`else`") {
        return "an `if` expression needs an `else` branch: `if c { a } else { b }`; to set a field only when a condition holds, wrap the field in an `if c { ... }` block".to_string();
    }
    if expected.iter().any(|e| e == "`:`") && expected.len() <= 3 {
        return "write `name: value`".to_string();
    }
    if expected.iter().any(|e| e == "`]`") && !expected.iter().any(|e| e == "`}`") {
        "list elements are separated by `,` (a new line alone does not separate them): `[a, b]`; check that every bracket is closed"
            .to_string()
    } else if expected
        .iter()
        .any(|e| e == "`}`" || e == "`]`" || e == "`)`")
    {
        "check that every bracket is closed and that entries are separated by `,` or a new line"
            .to_string()
    } else if expected.iter().any(|e| e == "an expression") {
        "write a value here: a literal, a name, a list `[...]` or an object `{...}`".to_string()
    } else if expected.iter().any(|e| e == "`=`") {
        "a definition needs `=` before its value: `fn name(x) = ...`, `let name = ...`".to_string()
    } else {
        "see docs/language.md for the syntax of each construct".to_string()
    }
}

/// Openers minus closers of one bracket kind in `text`, outside strings and comments.
fn bracket_balance(text: &str, open: char, close: char) -> i64 {
    let b = text.as_bytes();
    let mut depth = 0i64;
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i] as char;
        if in_str {
            match c {
                '\\' => i += 1,
                '"' | '\n' => in_str = false,
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
        } else if b[i..].starts_with(b"//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
        }
        i += 1;
    }
    depth
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

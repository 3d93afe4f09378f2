//! Nothing panics and nothing overflows the stack: truncated files, pathological nesting and
//! runaway recursion all end in a result or in diagnostics.

use cairn::Engine;
use cairn::diagnostics::codes;
use cairn::source::FileId;

use crate::common::cairn_files;

/// Runs `f` on a thread with a small stack, as an embedding host might.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the evaluation panicked")
}

#[test]
fn every_corpus_file_cut_at_every_byte() {
    let mut files = cairn_files("tests/corpus/eval");
    files.extend(cairn_files("tests/corpus/errors"));
    files.extend(cairn_files("tests/corpus/types"));
    // Two workers: the machines this runs on have two cores.
    let (a, b): (Vec<_>, Vec<_>) = files.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let cuts: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = [a, b]
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    part.into_iter()
                        .map(|(_, p)| cut_everywhere(&p))
                        .sum::<usize>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a cut panicked"))
            .sum()
    });
    assert!(cuts > 1000, "only {cuts} cuts");
}

/// Parses every prefix of a file (and evaluates some); returns how many prefixes it tried.
fn cut_everywhere(path: &std::path::Path) -> usize {
    let src = std::fs::read_to_string(path).unwrap_or_default();
    let mut cuts = 0;
    for end in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
        let text = &src[..end];
        let parsed = cairn::syntax::parse(FileId(0), text);
        // Parsing never fails at the API; a parse error always carries a span.
        for e in &parsed.errors {
            assert!(
                !e.labels.is_empty(),
                "{}: cut at {end}: error without span",
                path.display()
            );
            assert_spans_on_char_boundaries(text, e);
        }
        // Evaluating every prefix that parses would be slow; every seventh is plenty.
        if parsed.errors.is_empty() && end % 7 == 0 {
            let _ = Engine::new().evaluate_str("cut.cairn", text);
        }
        cuts += 1;
    }
    cuts
}

/// Every label of a diagnostic starts and ends on a character boundary of its source, so
/// renderers and editors can slice the text there.
fn assert_spans_on_char_boundaries(src: &str, d: &cairn::diagnostics::Diagnostic) {
    for l in &d.labels {
        let (start, end) = (l.span.start as usize, l.span.end as usize);
        assert!(
            start <= end && end <= src.len(),
            "{}: span {start}..{end} outside a source of {} bytes",
            d.message,
            src.len()
        );
        assert!(
            src.is_char_boundary(start) && src.is_char_boundary(end),
            "{}: span {start}..{end} splits a character",
            d.message
        );
    }
}

/// A multi-byte character anywhere — in a comment, a string, between tokens, right after a
/// bracket — is either read or reported, never a panic. Each corpus file gets one at every
/// character boundary (the character cycles through two-, three- and four-byte ones).
#[test]
fn a_multi_byte_character_anywhere_is_read_or_reported() {
    let mut files = cairn_files("tests/corpus/eval");
    files.extend(cairn_files("tests/corpus/errors"));
    let (a, b): (Vec<_>, Vec<_>) = files.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let tried: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = [a, b]
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    part.into_iter()
                        .map(|(_, p)| insert_everywhere(&p))
                        .sum::<usize>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("an insertion panicked"))
            .sum()
    });
    assert!(tried > 1000, "only {tried} insertions");
}

fn insert_everywhere(path: &std::path::Path) -> usize {
    const CHARS: [&str; 4] = ["é", "©", "\u{2028}", "😀"];
    let src = std::fs::read_to_string(path).unwrap_or_default();
    let mut tried = 0;
    for at in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
        let text = format!("{}{}{}", &src[..at], CHARS[at % CHARS.len()], &src[at..]);
        let parsed = cairn::syntax::parse(FileId(0), &text);
        for e in &parsed.errors {
            assert_spans_on_char_boundaries(&text, e);
        }
        if parsed.errors.is_empty() && at % 5 == 0 {
            let _ = cairn::fmt::format_source(FileId(0), &text);
        }
        tried += 1;
    }
    tried
}

/// The inputs an adversarial pass found panicking the parser: a licence header with a
/// non-ASCII character in a block comment, an opening bracket followed by one, an unclosed
/// block comment that ends inside one. Each goes through export, lint, fmt and every
/// renderer.
#[test]
fn non_ascii_text_that_once_panicked_the_parser() {
    let cases = [
        ("/* Copyright © 2024 Example */\nx: 1\n", true),
        ("/* © */ /* nested /* é */ */\nx: \"ü\"\n", true),
        ("{é", false),
        ("(é", false),
        ("[é", false),
        ("x: {é\n", false),
        ("x: 1\n/* unclosed é", false),
        ("x: 1\n/* unclosed 😀", false),
        ("/* é", false),
        ("x: [1, 2 // é\n", false),
    ];
    for (src, valid) in cases {
        let mut engine = Engine::new();
        let out = engine.evaluate_str("main.cairn", src);
        assert_eq!(
            out.diagnostics.iter().all(|d| !d.is_error()),
            valid,
            "{src:?}: {:?}",
            out.diagnostics
        );
        for d in &out.diagnostics {
            assert_spans_on_char_boundaries(src, d);
            assert!(!cairn::diagnostics::render::plain(d, engine.sources()).is_empty());
            let _ = cairn::diagnostics::render::fancy(d, engine.sources(), false);
        }
        let formatted = cairn::fmt::format_source(FileId(0), src);
        assert_eq!(formatted.is_ok(), valid, "{src:?}: fmt {formatted:?}");
        let findings = cairn::lint::lint_str(src);
        if valid {
            assert!(findings.iter().all(|(rule, _)| !rule.is_empty()));
        }
    }
}

#[test]
fn ten_thousand_nested_brackets_are_a_diagnostic() {
    for (open, close) in [("[", "]"), ("{a: ", "}"), ("(", ")")] {
        let src = format!("x: {}1{}", open.repeat(10_000), close.repeat(10_000));
        let out = on_small_stack(move || Engine::new().evaluate_str("deep.cairn", &src));
        assert_eq!(out.diagnostics.len(), 1, "{open}");
        assert_eq!(out.diagnostics[0].code, codes::TOO_DEEP);
    }
    // Unclosed brackets too.
    let src = format!("x: {}", "[".repeat(10_000));
    let out = on_small_stack(move || Engine::new().evaluate_str("deep.cairn", &src));
    assert_eq!(out.diagnostics[0].code, codes::TOO_DEEP);
}

#[test]
fn long_operator_chains_are_a_diagnostic() {
    let src = format!("x: 1{}", " + 1".repeat(20_000));
    let out = on_small_stack(move || Engine::new().evaluate_str("chain.cairn", &src));
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].code, codes::TOO_DEEP);
    let src = format!("x: {}true", "!".repeat(20_000));
    let out = on_small_stack(move || Engine::new().evaluate_str("chain.cairn", &src));
    assert_eq!(out.diagnostics[0].code, codes::TOO_DEEP);
}

#[test]
fn nesting_below_the_limit_evaluates() {
    let src = format!("x: {}1{}", "[".repeat(200), "]".repeat(200));
    let out = on_small_stack(move || Engine::new().evaluate_str("ok.cairn", &src));
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
}

#[test]
fn endless_recursion_is_a_diagnostic() {
    let out = on_small_stack(|| {
        Engine::new().evaluate_str("rec.cairn", "fn f(n) = f(n + 1) + 1\nx: f(0)")
    });
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].code, codes::RECURSION_LIMIT);
    // Mutual recursion, through a lambda, inside a comprehension.
    let out = on_small_stack(|| {
        Engine::new().evaluate_str(
            "rec.cairn",
            "fn a(n) = [for x in [n]: b(x)]\nfn b(n) = let g = fn(m) = a(m) in g(n)\nx: a(1)",
        )
    });
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].code, codes::RECURSION_LIMIT);
}

#[test]
fn deep_but_finite_recursion_evaluates() {
    let out = on_small_stack(|| {
        Engine::new().evaluate_str(
            "rec.cairn",
            "fn count(n) = if n == 0 { 0 } else { 1 + count(n - 1) }\nx: count(900)",
        )
    });
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(out.document.get("x"), Some(&cairn::Value::Int(900)));
}

#[test]
fn huge_ranges_are_refused() {
    let out = Engine::new().evaluate_str("r.cairn", "x: len(range(100000000000))");
    assert_eq!(out.diagnostics[0].code, codes::INVALID_ARGUMENT);
}

#[test]
fn recursion_that_builds_deep_values_ends_in_a_diagnostic() {
    // Each call nests 200 brackets deeper: 1,000 calls would build a value 200,000 deep.
    let inner = format!("{}f(n - 1){}", "[".repeat(200), "]".repeat(200));
    let src = format!("fn f(n) = if n == 0 {{ 0 }} else {{ {inner} }}\nx: f(1000)\n");
    let out = on_small_stack(move || Engine::new().evaluate_str("deep.cairn", &src));
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    assert_eq!(out.diagnostics[0].code, codes::RECURSION_LIMIT);
}

#[test]
fn deep_values_export_within_the_stack() {
    // A value 900 levels deep (within every limit) exports to YAML and JSON on a small stack.
    let out = on_small_stack(|| {
        let out = Engine::new().evaluate_str(
            "deep.cairn",
            "fn nest(n) = if n == 0 { \"leaf\" } else { { child: nest(n - 1) } }\nx: nest(900)\n",
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let docs = out.documents(cairn::export::Selection::Auto);
        let yaml = cairn::export::render(&docs, cairn::export::Format::Yaml).expect("yaml");
        let json = cairn::export::render(&docs, cairn::export::Format::Json).expect("json");
        (
            yaml.matches("child:").count(),
            json.matches("\"child\"").count(),
        )
    });
    assert_eq!(out, (900, 900));
}

#[test]
fn nesting_without_brackets_is_a_diagnostic() {
    // `if c: if c: ...` elements, `for` comprehensions and `else if` chains nest without
    // brackets; each ends in a diagnostic, not a stack overflow.
    let cases = [
        format!("x: [{}1]", "if true: ".repeat(20_000)),
        format!("x: [{}1]", "for a in [1]: ".repeat(20_000)),
        format!("x: {} 1 {}", "if false { 0 } else".repeat(20_000), ""),
        format!("x: {{{}}}", "if true { ".repeat(5_000) + &"}".repeat(5_000)),
    ];
    for src in cases {
        let out = on_small_stack(move || Engine::new().evaluate_str("deep.cairn", &src));
        assert!(!out.diagnostics.is_empty());
        assert!(
            out.diagnostics
                .iter()
                .all(|d| d.code == codes::TOO_DEEP || d.code == codes::SYNTAX),
            "{:?}",
            out.diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn values_nested_through_many_lets_export_and_drop() {
    // Each `let` wraps the last one 900 times deeper: 9,000 levels in all, built within every
    // limit. Exporting, comparing and dropping it must not overflow a small stack.
    let mut src =
        String::from("fn wrap(v, n) = if n == 0 { v } else { wrap([v], n - 1) }\nlet l0 = []\n");
    for i in 1..=10 {
        src.push_str(&format!("let l{i} = wrap(l{}, 900)\n", i - 1));
    }
    src.push_str("same: l10 == l10\nx: l10\n");
    let yaml_len = on_small_stack(move || {
        let out = Engine::new().evaluate_str("deep.cairn", &src);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let text = out
            .render(cairn::export::Selection::Auto, cairn::export::Format::Json)
            .expect("render");
        text.len()
    });
    assert!(yaml_len > 9_000);
}

#[test]
fn diagnostics_on_very_long_lines_render() {
    let src = format!("x: [{}nope]", "1, ".repeat(100_000));
    let mut engine = Engine::new();
    let out = engine.evaluate_str("long.cairn", &src);
    assert_eq!(out.diagnostics[0].code, codes::UNKNOWN_NAME);
    let text = cairn::diagnostics::render::fancy(&out.diagnostics[0], engine.sources(), false);
    assert!(
        text.contains("E0100") && text.contains("long.cairn:1:"),
        "{text}"
    );
}

//! `duplicate-key`: an object literal that sets the same key twice (the last one wins).

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0006",
    name: "duplicate-key",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "An object literal sets the same key twice.",
    why: "Only the last value is kept, so the first one is dead code — usually a copy-paste slip or a merge that went wrong. (Dotted keys that add to one object, `a.b: 1` and `a.c: 2`, are not duplicates.)",
    example: "let web = { port: 80, image: \"web:1.0\", port: 8080 }",
    instead: "let web = { port: 8080, image: \"web:1.0\" }",
    fixable: false,
};

pub struct DuplicateKey;
pub static RULE: DuplicateKey = DuplicateKey;

impl Rule for DuplicateKey {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut visit = |e: &Expr, file| {
            if let ExprKind::Object { entries, .. } = &e.kind {
                object(entries, file, out);
            }
        };
        for item in cx.entry_items() {
            crate::lint::walk::item_exprs(item, &mut |e| visit(e, item.file));
        }
        // Top-level fields are the module document's entries.
        let mut seen: Vec<(String, Span)> = Vec::new();
        for item in cx.entry_items() {
            if let ItemKind::Field(f) = &item.kind {
                check_path(&f.path, item.file, &mut seen, out);
            }
        }
    }
}

fn object(entries: &[Entry], file: crate::source::FileId, out: &mut Vec<Finding>) {
    let mut seen: Vec<(String, Span)> = Vec::new();
    for e in entries {
        if let EntryKind::Field(f) = &e.kind {
            check_path(&f.path, file, &mut seen, out);
        }
    }
}

/// A key path set in an object: only a full path seen before is a duplicate (`a.b` then `a.c`
/// add to `a`).
fn check_path(
    path: &[Key],
    file: crate::source::FileId,
    seen: &mut Vec<(String, Span)>,
    out: &mut Vec<Finding>,
) {
    let Some(names): Option<Vec<&str>> = path.iter().map(|k| k.as_static().map(|n| &**n)).collect()
    else {
        return;
    };
    let joined = names.join(".");
    let span = match (path.first(), path.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => return,
    };
    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == joined) {
        let mut f = Finding::new(
            file,
            span,
            format!("`{joined}` is set twice in this object; the first value is ignored"),
            "remove one of them, or rename the key that was meant",
        );
        f.also.push((file, *first, "first set here".into()));
        out.push(f);
    } else {
        seen.push((joined, span));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "duplicate-key")
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("x: { port: 80, image: \"a\", port: 8080 }\n").len(),
            1
        );
        assert_eq!(names("let o = { a.b: 1, a.b: 2 }\nx: o\n").len(), 1);
        assert_eq!(names("a: 1\na: 2\n").len(), 1);
        assert_eq!(names("x: [{ k: 1, \"k\": 2 }]\n").len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(names("x: { a.b: 1, a.c: 2 }\n").is_empty());
        assert!(names("x: { a: 1, b: { a: 2 } }\n").is_empty());
        assert!(names("x: { for k in [\"a\", \"b\"] { \"${k}\": 1 } }\n").is_empty());
        assert!(names("a.b: 1\na.c: 2\n").is_empty());
    }
}

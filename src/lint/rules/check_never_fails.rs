//! `check-never-fails`: a schema `check` whose condition holds for every value.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::syntax::ast::*;

use super::constant_condition::constant;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0007",
    name: "check-never-fails",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A schema `check` has a condition that is always true, so it never rejects a value.",
    why: "A `check` is there to reject bad values; one that always holds (`check true`, a field compared with itself like `port == port` or `port >= port`, `a || true`) rejects nothing, while it looks like the schema is protected. It is usually a typo for a comparison with another field or a limit.",
    example: "schema Service {\n  replicas: Int\n  max_replicas: Int = 10\n  check replicas <= replicas, \"too many replicas\"\n}\nlet web: Service = { replicas: 3 }\nservices: [web]",
    instead: "schema Service {\n  replicas: Int\n  max_replicas: Int = 10\n  check replicas <= max_replicas, \"too many replicas\"\n}\nlet web: Service = { replicas: 3 }\nservices: [web]",
    fixable: false,
};

pub struct CheckNeverFails;
pub static RULE: CheckNeverFails = CheckNeverFails;

impl Rule for CheckNeverFails {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for item in cx.entry_items() {
            let ItemKind::Schema(s) = &item.kind else {
                continue;
            };
            for m in &s.members {
                if let SchemaMember::Check(c) = m
                    && constant(&c.cond) == Some(true)
                {
                    out.push(Finding::new(
                        item.file,
                        c.cond.span,
                        format!(
                            "this check of `{}` can never fail: its condition is always true",
                            s.name.name
                        ),
                        "compare with what the values must meet (another field, a limit), or \
                         remove the check",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn names(src: &str) -> Vec<String> {
        super::super::unused_binding::lint_valid(src, "check-never-fails")
    }

    const FIRES: &str = "this check of `S` can never fail: its condition is always true";

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        for cond in [
            "true",
            "!false",
            "(true)",
            "a == a",
            "a >= a",
            "a <= (a)",
            "a > 0 || true",
            "true || a > 0",
            "1 == 1",
            "o.x == o.x",
            "a > 0 || a == a",
        ] {
            let src = format!(
                "schema S {{ a: Int, o: {{String: Int}} = {{}}, check {cond}, \"m\" }}\nx: 1\n"
            );
            assert_eq!(names(&src), [FIRES], "{cond}");
        }
    }

    #[test]
    fn does_not_fire() {
        for cond in [
            "a > 0",
            "a == b",
            "a >= b || a == 0",
            "a > 0 && true",
            "o.x == o.y",
            "len(o) >= 0",
            "false",
            "a != a",
        ] {
            let src = format!(
                "schema S {{ a: Int, b: Int, o: {{String: Int}} = {{}}, check {cond}, \"m\" }}\nx: 1\n"
            );
            assert!(names(&src).is_empty(), "{cond}");
        }
        // Conditions outside checks belong to `constant-condition`.
        assert!(names("x: if true { 1 } else { 2 }\n").is_empty());
    }
}

//! `unused-suppression`: a `// cairn:allow(rule): reason` comment that silences nothing. The
//! linter itself finds these (see `lint`); this file holds the rule's identity and docs.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

pub const NAME: &str = "unused-suppression";

pub static INFO: RuleInfo = RuleInfo {
    code: "L0100",
    name: NAME,
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A `cairn:allow` comment that suppresses no finding, or names no rule.",
    why: "A suppression outlives the problem it was written for and then hides the next one; a misspelled rule name suppresses nothing at all.",
    example: "// cairn:allow(unused-binding): kept for later\nlet port = 8080\nport: port",
    instead: "let port = 8080\nport: port",
    fixable: false,
};

pub struct UnusedSuppression;
pub static RULE: UnusedSuppression = UnusedSuppression;

impl Rule for UnusedSuppression {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    /// Found by the linter itself, which knows which suppressions were used.
    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    #[test]
    fn fires_on_a_suppression_that_silences_nothing() {
        let found = lint_str("// cairn:allow(duplicate-key): none here\nx: { a: 1 }\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "unused-suppression");
        let found = lint_str("x: { a: 1 } // cairn:allow(duplicte-key): typo\n");
        assert!(found[0].1.contains("not a lint rule"), "{found:?}");
    }

    #[test]
    fn does_not_fire_when_the_suppression_is_used() {
        let found = lint_str("// cairn:allow(duplicate-key): on purpose\nx: { a: 1, a: 2 }\n");
        assert!(found.is_empty(), "{found:?}");
        let found = lint_str("x: { a: 1, a: 2 } // cairn:allow(duplicate-key): on purpose\n");
        assert!(found.is_empty(), "{found:?}");
    }
}

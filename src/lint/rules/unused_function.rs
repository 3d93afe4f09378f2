//! `unused-function`: a `fn` that nothing calls or refers to.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

use super::unused_binding::{DefKind, analyze, remove_item};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0008",
    name: "unused-function",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A `fn` is never called or referred to.",
    why: "An unused function is dead code that still has to be read, type-checked and kept up to date, and it is often a sign that a call went to the wrong function. A function called only by itself or by other unused definitions is unused too. The entry module is never imported, so its top-level functions count; a module that declares definitions only (no fields, resources or blocks) is a library, and its functions are not reported. `--fix` removes the function.",
    example: "fn labels(name: String) = { app: name }\nfn selector(name: String) = { matchLabels: { app: name } }\nweb: { metadata.labels: labels(\"web\") }",
    instead: "fn labels(name: String) = { app: name }\nweb: { metadata.labels: labels(\"web\") }",
    fixable: true,
};

pub struct UnusedFunction;
pub static RULE: UnusedFunction = UnusedFunction;

impl Rule for UnusedFunction {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let names = analyze(cx);
        for (d, user) in names.unused() {
            let def = &names.defs[d];
            if !matches!(def.kind, DefKind::Fn | DefKind::LocalFn) {
                continue;
            }
            let message = match user {
                Some(u) => format!(
                    "function `{}` is only used by `{}`, which is never used",
                    def.name, names.defs[u].name
                ),
                None if names.uses_itself(d) => {
                    format!("function `{}` is only called by itself", def.name)
                }
                None => format!("function `{}` is never used", def.name),
            };
            let mut f = Finding::new(
                def.file,
                def.span,
                message,
                "remove it, or call it where it was meant to be used; to keep it on purpose, \
                 add `// cairn:allow(unused-function): reason`",
            );
            if let Some(u) = user {
                f.also.push((
                    names.defs[u].file,
                    names.defs[u].span,
                    "used only here, and this is unused".into(),
                ));
            }
            f.fix = def.item.and_then(|item| remove_item(cx, item));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    fn names(src: &str) -> Vec<String> {
        super::super::unused_binding::lint_valid(src, "unused-function")
    }

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("fn f(x) = x\nfn g(x) = x\ny: g(1)\n"),
            ["function `f` is never used"]
        );
        assert_eq!(
            names("fn fact(n) = if n <= 1 { 1 } else { n * fact(n - 1) }\ny: 1\n"),
            ["function `fact` is only called by itself"]
        );
        assert_eq!(
            names("fn a(x) = b(x)\nfn b(x) = x\ny: 1\n"),
            [
                "function `a` is never used",
                "function `b` is only used by `a`, which is never used"
            ]
        );
        // A function local to a block.
        assert_eq!(
            names("for r in [\"eu\"] {\n  fn h(x) = x\n  \"${r}\": 1\n}\n"),
            ["function `h` is never used"]
        );
        // Hidden by a parameter of the same name.
        assert_eq!(
            names("fn f(x) = x\nfn g(f) = f(1)\ny: g(fn(x) = x)\n"),
            ["function `f` is never used"]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names("fn f(x) = x\ny: f(1)\n").is_empty());
        // Referred to without a call, before its line, from a lambda or a block.
        assert!(names("y: sort_by([2, 1], key)\nfn key(x) = x\n").is_empty());
        assert!(names("fn k(x) = x\nz: (fn(a) = k(a))(1)\n").is_empty());
        assert!(names("fn f(x) = x\nif true {\n  y: f(1)\n}\n").is_empty());
        assert!(names("for r in [\"eu\"] {\n  fn h(x) = x\n  \"${r}\": h(1)\n}\n").is_empty());
        // Through a used `let`, a schema default, a resource.
        assert!(names("fn f(x) = x\nlet a = f(1)\ny: a\n").is_empty());
        assert!(names("fn f() = 80\nschema S { port: Int = f() }\ny: 1\n").is_empty());
        assert!(names("fn f() = \"a\"\nresource r: exec.Command { cmd: f() }\n").is_empty());
        // A function named like a builtin, used.
        assert!(names("fn len(x) = 0\ny: len([1])\n").is_empty());
        // A module without output is a library: its functions are its exports.
        assert!(names("fn f(x) = x\n").is_empty());
    }
}

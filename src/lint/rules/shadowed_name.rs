//! `shadowed-name`: a local name that hides another binding in scope.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

use super::unused_binding::analyze;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0004",
    name: "shadowed-name",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A local name (function or lambda parameter, `let`, `for` variable, local `fn`) hides a name of the module or an outer local of the same name.",
    why: "Inside the local's scope the name means something else than everywhere around it, which is easy to miss when reading and easy to get wrong when editing: a `param` or top-level `let` of that name can no longer be reached there, and an import of that name can no longer be used as a module. Builtin function names may be reused freely, and `_` is never reported.",
    example: "param env = \"dev\"\nfn host(env: String) = \"${env}.example.com\"\nurl: host(\"prod\")",
    instead: "param env = \"dev\"\nfn host(stage: String) = \"${stage}.example.com\"\nurl: host(\"prod\")",
    fixable: false,
};

pub struct ShadowedName;
pub static RULE: ShadowedName = ShadowedName;

impl Rule for ShadowedName {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let names = analyze(cx);
        for &(local, outer) in &names.shadows {
            let (l, o) = (&names.defs[local], &names.defs[outer]);
            let mut f = Finding::new(
                l.file,
                l.span,
                format!(
                    "the {} `{}` shadows the {} of the same name",
                    l.kind.describe(),
                    l.name,
                    o.kind.describe()
                ),
                format!(
                    "rename one of them: here `{}` no longer means the {}",
                    l.name,
                    o.kind.describe()
                ),
            );
            f.also.push((
                o.file,
                o.span,
                format!("the shadowed {}", o.kind.describe()),
            ));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    fn names(src: &str) -> Vec<String> {
        super::super::unused_binding::lint_valid(src, "shadowed-name")
    }

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("param env = \"dev\"\nfn f(env) = env\nx: [f(1), env]\n"),
            ["the function parameter `env` shadows the `param` of the same name"]
        );
        assert_eq!(
            names("let port = 80\nx: let port = 81 in port\ny: port\n"),
            ["the `let` `port` shadows the top-level `let` of the same name"]
        );
        assert_eq!(
            names("let xs = [1]\nx: [for xs in [[2]]: xs]\ny: xs\n"),
            ["the `for` variable `xs` shadows the top-level `let` of the same name"]
        );
        assert_eq!(
            names("fn k(x) = x\ny: sort_by([1], fn(k) = k)\nz: k(1)\n"),
            ["the lambda parameter `k` shadows the function of the same name"]
        );
        // An outer local: nested loops, a `let` in a function, object `let`s.
        assert_eq!(
            names("x: [for i in [1]: for i in [2]: i]\n"),
            ["the `for` variable `i` shadows the `for` variable of the same name"]
        );
        assert_eq!(
            names("fn f(a) = let a = a + 1 in a\nx: f(1)\n"),
            ["the `let` `a` shadows the function parameter of the same name"]
        );
        assert_eq!(
            names("x: { let a = 1\n  let a = a + 1\n  b: a }\n"),
            ["the `let` `a` shadows the `let` of the same name"]
        );
        // In a top-level block; an import; a resource.
        assert_eq!(
            names(
                "let bucket = \"b\"\nfor r in [\"eu\"] {\n  let bucket = \"${r}\"\n  \"${r}\": bucket\n}\ny: bucket\n"
            ),
            ["the `let` `bucket` shadows the top-level `let` of the same name"]
        );
        assert_eq!(
            names("import std.k8s\nfn f(k8s) = k8s\nx: f(1)\n"),
            ["the function parameter `k8s` shadows the import of the same name"]
        );
        assert_eq!(
            names("resource db: exec.Command { cmd: \"a\" }\nx: [for db in [1]: db]\n"),
            ["the `for` variable `db` shadows the resource of the same name"]
        );
    }

    #[test]
    fn does_not_fire() {
        // Distinct names; the same name in sibling scopes.
        assert!(names("fn f(a) = a\nfn g(a) = a\nx: [f(1), g(2)]\n").is_empty());
        assert!(names("x: [for i in [1]: i]\ny: [for i in [2]: i]\n").is_empty());
        assert!(names("x: { let a = 1, b: a }\ny: { let a = 2, b: a }\n").is_empty());
        // Builtins may be reused.
        assert!(names("fn f(len) = len\nx: [f(1), len([1])]\n").is_empty());
        assert!(names("x: [for keys in [1]: keys]\n").is_empty());
        // Keys and fields are not names.
        assert!(names("let port = 80\nx: { port: port }\n").is_empty());
        // Schema fields are seen by name in checks; a field is not a local.
        assert!(
            names("let name = \"a\"\nschema S { name: String, check name != \"\" }\nx: name\n")
                .is_empty()
        );
        // `_` is a placeholder.
        assert!(names("x: [for _, a in [1]: for _, b in [2]: a + b]\n").is_empty());
        // A top-level definition and a later local of another scope.
        assert!(names("fn f(x) = x\nfor r in [\"eu\"] {\n  \"${r}\": f(1)\n}\n").is_empty());
    }
}

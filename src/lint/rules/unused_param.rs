//! `unused-param`: a program parameter that nothing uses.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

use super::unused_binding::{DefKind, analyze};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0003",
    name: "unused-param",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A `param` is declared but nothing uses its value.",
    why: "Whoever runs the program can set the parameter (`--param`, `--params`, `CAIRN_PARAM_...`) and it changes nothing, silently: the setting looks honoured but is ignored. Usually the value was meant to be used somewhere and is not, or it is left over. A parameter used only by unused definitions is unused too. Removing it is not automatic: callers that still pass it would then get E0115.",
    example: "param env: \"dev\" | \"prod\" = \"dev\"\nparam replicas: Int = 1\ndeployment: { replicas: 2 }",
    instead: "param env: \"dev\" | \"prod\" = \"dev\"\nparam replicas: Int = 1\ndeployment: { env: env, replicas: replicas }",
    fixable: false,
};

pub struct UnusedParam;
pub static RULE: UnusedParam = UnusedParam;

impl Rule for UnusedParam {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let names = analyze(cx);
        for (d, user) in names.unused() {
            let def = &names.defs[d];
            if def.kind != DefKind::Param {
                continue;
            }
            let message = match user {
                Some(u) => format!(
                    "parameter `{}` is only used by `{}`, which is never used",
                    def.name, names.defs[u].name
                ),
                None => format!("parameter `{}` is never used", def.name),
            };
            let mut f = Finding::new(
                def.file,
                def.span,
                message,
                "use it where its value was meant to go, or remove it (and the `--param` that \
                 sets it); to keep it on purpose, add `// cairn:allow(unused-param): reason`",
            );
            if let Some(u) = user {
                f.also.push((
                    names.defs[u].file,
                    names.defs[u].span,
                    "used only here, and this is unused".into(),
                ));
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    fn names(src: &str) -> Vec<String> {
        super::super::unused_binding::lint_valid(src, "unused-param")
    }

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("param env = \"dev\"\nx: 1\n"),
            ["parameter `env` is never used"]
        );
        assert_eq!(
            names("param debug: Bool = false\nparam env = \"dev\"\nx: env\n"),
            ["parameter `debug` is never used"]
        );
        // Hidden by a local of the same name everywhere it is mentioned.
        assert_eq!(
            names("param env = \"dev\"\nfn f(env) = env\nx: f(1)\n"),
            ["parameter `env` is never used"]
        );
        // Used only by an unused function.
        assert_eq!(
            names("param env = \"dev\"\nfn f() = env\nx: 1\n"),
            ["parameter `env` is only used by `f`, which is never used"]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names("param env = \"dev\"\nx: \"${env}\"\n").is_empty());
        assert!(names("param debug = false\nif debug {\n  level: \"debug\"\n}\n").is_empty());
        assert!(names("param zones: [String] = []\nx: [for z in zones: z]\n").is_empty());
        assert!(names("param env = \"dev\"\nfn f(x) = \"${env}-${x}\"\ny: f(1)\n").is_empty());
        // Through another parameter's default.
        assert!(names("param a = 1\nparam b = a + 1\nx: b\n").is_empty());
        assert!(
            names("param n = 3\nschema S { r: Int, check r <= n }\nlet s: S = { r: 1 }\nx: s\n")
                .is_empty()
        );
        assert!(
            names("param ns = \"a\"\nresource r: exec.Command { cmd: \"echo ${ns}\" }\n")
                .is_empty()
        );
        // A module without output is a library: its parameters are its exports.
        assert!(names("param env = \"dev\"\nlet x = 1\n").is_empty());
    }
}

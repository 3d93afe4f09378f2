//! `unused-import`: an import whose name nothing uses.

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

use super::unused_binding::{DefKind, analyze, remove_item};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0002",
    name: "unused-import",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "An import's name is not used in any expression or type.",
    why: "An unused import still makes every run load, parse and check the module, and it tells a reader that the program depends on a module it does not use. It is usually left over from code that was moved or deleted. An import used only by unused definitions is unused too. `--fix` removes the import.",
    example: "import std.k8s\nimport std.lists\n\nports: lists.take([80, 443, 8080], 2)",
    instead: "import std.lists\n\nports: lists.take([80, 443, 8080], 2)",
    fixable: true,
};

pub struct UnusedImport;
pub static RULE: UnusedImport = UnusedImport;

impl Rule for UnusedImport {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let names = analyze(cx);
        for (d, user) in names.unused() {
            let def = &names.defs[d];
            if def.kind != DefKind::Import {
                continue;
            }
            let message = match user {
                Some(u) => format!(
                    "`{}` is imported but only used by `{}`, which is never used",
                    def.name, names.defs[u].name
                ),
                None => format!("`{}` is imported but never used", def.name),
            };
            let mut f = Finding::new(
                def.file,
                def.span,
                message,
                format!(
                    "remove the import, or use the module as `{}.name`; to keep it on purpose, \
                     add `// cairn:allow(unused-import): reason`",
                    def.name
                ),
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
    use crate::MemoryLoader;
    use crate::lint::{Config, Context, apply_fixes, fixes, lint};

    const NET: &str = "type Port = Int(1..=65535)\nschema Endpoint { host: String, port: Port = 443 }\nfn url(e: Endpoint) -> String = \"https://${e.host}:${e.port}\"\nlet default_port = 443\n";

    /// Lints `main` with `lib/net.cairn` beside it: the messages of this rule, and the text
    /// after its fixes.
    fn run(main: &str) -> (Vec<String>, String) {
        let mut loader = MemoryLoader::new();
        loader.insert("app/lib/net.cairn", NET);
        loader.insert("app/main.cairn", main);
        let mut engine = crate::Engine::with_loader(loader);
        let file = engine.sources_mut().add("app/main.cairn", main);
        let (program, _) = engine.program(file);
        let out = engine.evaluate(file);
        let errors: Vec<&String> = out
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| &d.message)
            .collect();
        assert!(errors.is_empty(), "{main}\n{errors:?}");
        let cx = Context::new(&program, engine.sources(), &out.resources, &out.document);
        let config = Config::default();
        let messages = lint(&cx, &config)
            .into_iter()
            .filter(|d| d.code.id == super::INFO.code)
            .map(|d| d.message)
            .collect();
        let all = fixes(&cx, &config);
        let mine: Vec<&crate::lint::Fix> = all.iter().filter(|f| f.file == file).collect();
        (messages, apply_fixes(main, &mine))
    }

    fn names(main: &str) -> Vec<String> {
        run(main).0
    }

    #[test]
    fn examples() {
        super::super::unused_binding::assert_examples(&super::INFO);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("import \"./lib/net.cairn\" as net\nx: 1\n"),
            ["`net` is imported but never used"]
        );
        // Without `as`, the name is the file's.
        assert_eq!(
            names("import \"./lib/net.cairn\"\nx: 1\n"),
            ["`net` is imported but never used"]
        );
        assert_eq!(
            names("import std.k8s\nx: 1\n"),
            ["`k8s` is imported but never used"]
        );
        // A local of the same name hides the module.
        assert_eq!(
            names("import \"./lib/net.cairn\" as net\nx: let net = { url: 1 } in net.url\n"),
            ["`net` is imported but never used"]
        );
        // Used only by an unused `let`.
        assert_eq!(
            names("import \"./lib/net.cairn\" as net\nlet p = net.default_port\nx: 1\n"),
            ["`net` is imported but only used by `p`, which is never used"]
        );
    }

    #[test]
    fn does_not_fire() {
        // In expressions.
        assert!(names("import \"./lib/net.cairn\" as net\nx: net.default_port\n").is_empty());
        assert!(
            names("import \"./lib/net.cairn\" as net\nx: \"${net.url({ host: \"a\" })}\"\n")
                .is_empty()
        );
        // In types: of a `let`, a function, a schema field, a schema's `extends`, a resource.
        assert!(
            names(
                "import \"./lib/net.cairn\" as net\nlet e: net.Endpoint = { host: \"a\" }\nx: e\n"
            )
            .is_empty()
        );
        assert!(
            names("import \"./lib/net.cairn\" as net\nfn f(p: net.Port) = p\nx: f(1)\n").is_empty()
        );
        assert!(
            names("import \"./lib/net.cairn\" as net\nschema S { p: [net.Port] }\nx: 1\n")
                .is_empty()
        );
        assert!(
            names("import \"./lib/net.cairn\" as net\nschema S extends net.Endpoint {}\nx: 1\n")
                .is_empty()
        );
        assert!(
            names("import \"./lib/net.cairn\" as net\nresource e: net.Endpoint { host: \"a\" }\n")
                .is_empty()
        );
        // In a block.
        assert!(
            names("import \"./lib/net.cairn\" as net\nif true {\n  p: net.default_port\n}\n")
                .is_empty()
        );
    }

    #[test]
    fn fix_removes_the_import() {
        let (_, fixed) =
            run("import std.k8s\nimport \"./lib/net.cairn\" as net\nx: net.default_port\n");
        assert_eq!(
            fixed,
            "import \"./lib/net.cairn\" as net\nx: net.default_port\n"
        );
    }
}

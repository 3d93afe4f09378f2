//! `resource-naming`: a resource id that is not snake_case.

use super::schema_naming::snake;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0022",
    name: "resource-naming",
    group: Group::Style,
    level: Level::Warn,
    summary: "A resource id is not snake_case.",
    why: "Resource ids are values (`web_server.path`) and addresses in plans, state and `--target` (`web_server`, `env[\"web\"]`): one style keeps them predictable to type and to grep, and sets them apart from types, which are UpperCamelCase. Rename early: a resource's id is its identity, so renaming one that was already applied deletes it and creates it again under the new id.",
    example: "resource webServer: file.File {\n  path: \"web.conf\"\n  content: \"listen 80\\n\"\n}",
    instead: "resource web_server: file.File {\n  path: \"web.conf\"\n  content: \"listen 80\\n\"\n}",
    fixable: false,
};

pub struct ResourceNaming;
pub static RULE: ResourceNaming = ResourceNaming;

impl Rule for ResourceNaming {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for item in cx.entry_items() {
            visit(item, out);
        }
    }
}

/// Checks the resources of an item, and of the items inside a top-level `for` or `if`.
fn visit(item: &Item, out: &mut Vec<Finding>) {
    match &item.kind {
        ItemKind::Resource(r) => {
            let name = &r.name.name;
            if is_snake(name) {
                return;
            }
            let to = snake(name);
            if to == **name || to.trim_start_matches('_').is_empty() {
                return;
            }
            out.push(Finding::new(
                item.file,
                r.name.span,
                format!("resource id `{name}` is not snake_case: `{to}`"),
                format!(
                    "rename it to `{to}`, and its references with it (an id is the resource's identity: renaming an applied resource deletes and recreates it)"
                ),
            ));
        }
        ItemKind::For(f) => f.items.iter().for_each(|i| visit(i, out)),
        ItemKind::If(x) => {
            for i in x.then.iter().chain(x.otherwise.iter().flatten()) {
                visit(i, out);
            }
        }
        _ => {}
    }
}

/// `web_server`, `db2`, `_internal`: lower-case letters, digits and `_`.
fn is_snake(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "resource-naming")
            .map(|(_, m)| m)
            .collect()
    }

    const BODY: &str = "{ path: \"x\", content: \"\" }";

    #[test]
    fn fires() {
        assert_eq!(
            names(&format!("resource webServer: file.File {BODY}\n")),
            ["resource id `webServer` is not snake_case: `web_server`"]
        );
        assert_eq!(
            names(&format!("resource WebServer: file.File {BODY}\n")),
            ["resource id `WebServer` is not snake_case: `web_server`"]
        );
        assert_eq!(
            names(
                "resource apiNS: k8s.Namespace { apiVersion: \"v1\", kind: \"Namespace\", metadata.name: \"api\" }\n"
            ),
            ["resource id `apiNS` is not snake_case: `api_ns`"]
        );
        // Inside top-level `for` and `if` blocks too, once per declaration.
        assert_eq!(
            names(
                "for n in [\"a\", \"b\"] {\n  if true {\n    resource envFile[n]: file.File { path: n, content: \"\" }\n  }\n}\n"
            ),
            ["resource id `envFile` is not snake_case: `env_file`"]
        );
        assert_eq!(names(super::INFO.example).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(names(&format!("resource web_server: file.File {BODY}\n")).is_empty());
        assert!(names(&format!("resource db2: file.File {BODY}\n")).is_empty());
        assert!(names(&format!("resource _scratch: file.File {BODY}\n")).is_empty());
        // Other names are not resource ids.
        assert!(names("let webServer = 1\nx: { webServer: webServer }\n").is_empty());
        assert!(names(super::INFO.instead).is_empty());
    }
}

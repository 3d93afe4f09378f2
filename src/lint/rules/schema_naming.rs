//! `schema-naming`: a schema or `type` alias whose name is not UpperCamelCase.
//!
//! Also home of the word splitting and case conversions the naming rules share
//! (`field-naming`, `resource-naming`).

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0020",
    name: "schema-naming",
    group: Group::Style,
    level: Level::Warn,
    summary: "A schema or `type` alias is not named in UpperCamelCase.",
    why: "Types are UpperCamelCase (`Service`, `HttpRoute`) and values are not, so `let web: Service` reads at a glance as a value of a type, and names imported from other modules (`k8s.Deployment`) look like the program's own. Acronyms may stay upper case (`HTTPRoute`, `TLS`); underscores and a lower-case first letter (`service`, `http_route`, `HTTP_ROUTE`) are what this rule reports. A leading `_` (a private name) is allowed.",
    example: "schema http_route {\n  host: String\n  port: Int = 80\n}\nlet api: http_route = { host: \"api.internal\" }\nroute: api",
    instead: "schema HttpRoute {\n  host: String\n  port: Int = 80\n}\nlet api: HttpRoute = { host: \"api.internal\" }\nroute: api",
    fixable: false,
};

pub struct SchemaNaming;
pub static RULE: SchemaNaming = SchemaNaming;

impl Rule for SchemaNaming {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for item in cx.entry_items() {
            let (what, name) = match &item.kind {
                ItemKind::Schema(s) => ("schema", &s.name),
                ItemKind::Type(t) => ("type", &t.name),
                _ => continue,
            };
            if is_upper_camel(&name.name) {
                continue;
            }
            let suggestion = upper_camel(&name.name);
            if suggestion.is_empty() || suggestion == *name.name {
                continue;
            }
            out.push(Finding::new(
                item.file,
                name.span,
                format!(
                    "{what} `{}` is not UpperCamelCase: `{suggestion}`",
                    name.name
                ),
                format!("rename it to `{suggestion}`, and its uses with it"),
            ));
        }
    }
}

/// `Service`, `HttpRoute`, `HTTPRoute`, `_Private`: an upper-case first letter, no `_` after it.
fn is_upper_camel(name: &str) -> bool {
    let rest = name.trim_start_matches('_');
    rest.starts_with(|c: char| c.is_ascii_uppercase()) && !rest.contains(['_', '-'])
}

/// The leading underscores of a name (kept by conversions: they mark a private name).
pub(crate) fn private_prefix(name: &str) -> &str {
    &name[..name.len() - name.trim_start_matches('_').len()]
}

/// The words of a name, lower-cased: split at `_`, `-` and other separators, and at case
/// changes (`webServer`, `HTTPRoute` → `http`, `route`; digits stay with the word before them).
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = c.is_ascii_uppercase()
                && match prev {
                    Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                    // The last capital of an acronym starts the next word: `HTTPRoute`.
                    Some(p) if p.is_ascii_uppercase() => {
                        next.is_some_and(|n| n.is_ascii_lowercase())
                    }
                    _ => false,
                };
            if boundary && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// `http_route` → `HttpRoute` (leading underscores kept).
pub(crate) fn upper_camel(name: &str) -> String {
    let body: String = words(name).iter().map(|w| capitalized(w)).collect();
    format!("{}{body}", private_prefix(name))
}

/// `max_replicas` → `maxReplicas` (leading underscores kept).
pub(crate) fn lower_camel(name: &str) -> String {
    let mut body = String::new();
    for (i, w) in words(name).iter().enumerate() {
        if i == 0 {
            body.push_str(w);
        } else {
            body.push_str(&capitalized(w));
        }
    }
    format!("{}{body}", private_prefix(name))
}

/// `webServer` → `web_server` (leading underscores kept).
pub(crate) fn snake(name: &str) -> String {
    format!("{}{}", private_prefix(name), words(name).join("_"))
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "schema-naming")
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("schema service { name: String }\n"),
            ["schema `service` is not UpperCamelCase: `Service`"]
        );
        assert_eq!(
            names("schema http_route { host: String }\n"),
            ["schema `http_route` is not UpperCamelCase: `HttpRoute`"]
        );
        assert_eq!(
            names("type HTTP_ROUTE = String\n"),
            ["type `HTTP_ROUTE` is not UpperCamelCase: `HttpRoute`"]
        );
        assert_eq!(
            names("type port = Int(1..=65535)\nschema Svc { p: port }\n"),
            ["type `port` is not UpperCamelCase: `Port`"]
        );
        assert_eq!(
            names("schema _my_base { a: Int }\n"),
            ["schema `_my_base` is not UpperCamelCase: `_MyBase`"]
        );
        assert_eq!(names(super::INFO.example).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(names("schema Service { name: String }\n").is_empty());
        assert!(names("schema HttpRoute { host: String }\ntype Port = Int\n").is_empty());
        assert!(names("schema HTTPRoute { host: String }\ntype TLS = Bool\n").is_empty());
        assert!(names("schema _Base { a: Int }\ntype V1Beta1 = String\n").is_empty());
        // Values are not types.
        assert!(names("let http_route = 1\nfn make_it() = 2\nx: http_route\n").is_empty());
        assert!(names(super::INFO.instead).is_empty());
    }

    #[test]
    fn conversions() {
        use super::{lower_camel, snake, upper_camel, words};
        assert_eq!(words("HTTPRoute"), ["http", "route"]);
        assert_eq!(words("myHTTPRoute2x"), ["my", "http", "route2x"]);
        assert_eq!(words("ipv4Address"), ["ipv4", "address"]);
        assert_eq!(upper_camel("HTTP_ROUTE"), "HttpRoute");
        assert_eq!(lower_camel("min_replicas"), "minReplicas");
        assert_eq!(snake("WebServer"), "web_server");
        assert_eq!(snake("_webServer"), "_web_server");
    }
}

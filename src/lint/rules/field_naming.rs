//! `field-naming`: a schema field whose name is neither lowerCamelCase nor snake_case, or that
//! breaks the style the other fields of its schema follow.

use super::schema_naming::{lower_camel, snake};
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0021",
    name: "field-naming",
    group: Group::Style,
    level: Level::Warn,
    summary: "A schema field is not named in lowerCamelCase or snake_case, or not in the style of the schema's other fields.",
    why: "Either style is fine, but one schema should use one of them: a user who wrote `maxReplicas` will type `minReplicas` next, and `min_replicas` makes that a closed-schema error. When a schema mixes the two, the style of fewer fields is reported (on a tie, the style of the first field wins); names that are neither (`MaxReplicas`, `MAX_REPLICAS`) are always reported. Names with other characters (`runs-on`, `\"app.kubernetes.io/name\"`) follow an external format and are skipped, and so are the keys of object literals, which often must match what another tool expects.",
    example: "schema Scaling {\n  minReplicas: Int = 1\n  max_replicas: Int = 10\n  targetCpu: Int = 80\n}\nlet scaling: Scaling = {}\nscaling: scaling",
    instead: "schema Scaling {\n  minReplicas: Int = 1\n  maxReplicas: Int = 10\n  targetCpu: Int = 80\n}\nlet scaling: Scaling = {}\nscaling: scaling",
    fixable: false,
};

pub struct FieldNaming;
pub static RULE: FieldNaming = FieldNaming;

impl Rule for FieldNaming {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for item in cx.entry_items() {
            if let ItemKind::Schema(s) = &item.kind {
                schema(s, item.file, out);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// One lower-case word (`name`, `port2`): fits both styles.
    Either,
    Camel,
    Snake,
    /// Neither style: `MaxReplicas`, `max_Replicas`, `MAX`.
    Neither,
    /// Not a name this rule judges: other characters than letters, digits and `_`.
    Skip,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Snake => "snake_case",
            _ => "lowerCamelCase",
        }
    }
}

fn style(name: &str) -> Style {
    let rest = name.trim_start_matches('_');
    if rest.is_empty()
        || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || !rest.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return Style::Skip;
    }
    if !rest.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Style::Neither;
    }
    match (
        rest.contains(|c: char| c.is_ascii_uppercase()),
        rest.contains('_'),
    ) {
        (false, false) => Style::Either,
        (true, false) => Style::Camel,
        (false, true) => Style::Snake,
        (true, true) => Style::Neither,
    }
}

fn schema(s: &Schema, file: crate::source::FileId, out: &mut Vec<Finding>) {
    let fields: Vec<(&str, Span, Style)> = s
        .members
        .iter()
        .filter_map(|m| match m {
            SchemaMember::Field(f) => f.name.as_static().map(|n| (&**n, f.name.span, style(n))),
            SchemaMember::Check(_) => None,
        })
        .collect();
    let count = |st: Style| fields.iter().filter(|f| f.2 == st).count();
    let (camel, snake_count) = (count(Style::Camel), count(Style::Snake));
    let first = fields
        .iter()
        .map(|f| f.2)
        .find(|st| matches!(st, Style::Camel | Style::Snake));
    let dominant = if camel > snake_count {
        Style::Camel
    } else if snake_count > camel {
        Style::Snake
    } else {
        first.unwrap_or(Style::Camel)
    };
    let convert = |n: &str| match dominant {
        Style::Snake => snake(n),
        _ => lower_camel(n),
    };
    for &(name, span, st) in &fields {
        let to = convert(name);
        if to == name || to.trim_start_matches('_').is_empty() {
            continue;
        }
        let message = match st {
            Style::Neither => format!(
                "field `{name}` of `{}` is neither lowerCamelCase nor snake_case: `{to}`",
                s.name.name
            ),
            Style::Camel | Style::Snake if st != dominant => format!(
                "field `{name}` is {}, but `{}` names its other fields in {}: `{to}`",
                st.name(),
                s.name.name,
                dominant.name()
            ),
            _ => continue,
        };
        out.push(Finding::new(
            file,
            span,
            message,
            format!(
                "rename it to `{to}`, and the places that set or read it with it: one style per schema"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "field-naming")
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("schema S {\n  maxReplicas: Int\n  min_replicas: Int\n  targetCpu: Int\n}\n"),
            [
                "field `min_replicas` is snake_case, but `S` names its other fields in lowerCamelCase: `minReplicas`"
            ]
        );
        assert_eq!(
            names("schema S { max_replicas: Int, min_replicas: Int, targetCpu: Int }\n"),
            [
                "field `targetCpu` is lowerCamelCase, but `S` names its other fields in snake_case: `target_cpu`"
            ]
        );
        // On a tie the first field's style wins.
        assert_eq!(
            names("schema S { max_replicas: Int, minReplicas: Int, name: String }\n"),
            [
                "field `minReplicas` is lowerCamelCase, but `S` names its other fields in snake_case: `min_replicas`"
            ]
        );
        assert_eq!(
            names("schema S { name: String, MaxReplicas: Int }\n"),
            ["field `MaxReplicas` of `S` is neither lowerCamelCase nor snake_case: `maxReplicas`"]
        );
        assert_eq!(
            names("schema S { max_replicas: Int, MIN_REPLICAS: Int, \"Port\": Int }\n"),
            [
                "field `MIN_REPLICAS` of `S` is neither lowerCamelCase nor snake_case: `min_replicas`",
                "field `Port` of `S` is neither lowerCamelCase nor snake_case: `port`",
            ]
        );
        assert_eq!(names(super::INFO.example).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        assert!(
            names("schema S { maxReplicas: Int, minReplicas: Int, name: String }\n").is_empty()
        );
        assert!(
            names("schema S { max_replicas: Int, min_replicas: Int, name: String }\n").is_empty()
        );
        assert!(names("schema S { name: String, port2: Int, hostIP: String }\n").is_empty());
        // Names in an external format are skipped.
        assert!(
            names(
                "schema S { maxReplicas: Int, runs-on: String, \"app.kubernetes.io/name\": String, \"a b\": Int }\n"
            )
            .is_empty()
        );
        // A private-looking leading underscore is not a style.
        assert!(names("schema S { _id: String, createdAt: String }\n").is_empty());
        // Object literal keys are not checked.
        assert!(names("x: { maxReplicas: 1, min_replicas: 2, Weird_Key: 3 }\n").is_empty());
        assert!(names(super::INFO.instead).is_empty());
    }
}

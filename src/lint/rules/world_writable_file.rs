//! `world-writable-file`: a `file.File` resource whose `mode` lets every user write the file.

use crate::eval::ResourceInstance;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0041",
    name: "world-writable-file",
    group: Group::Security,
    level: Level::Warn,
    summary: "A `file.File` resource is written world-writable: its `mode` gives others write permission.",
    why: "With the write bit set for others (`\"0666\"`, `\"777\"`, `\"0646\"`), any user or process on the machine can change the file — and files Cairn writes are usually configuration that services trust, so that is a way in. The rule looks at the evaluated `mode`, so a mode computed by a function or from a parameter is checked too; resources keyed in a `for` are reported once per declaration.",
    example: "resource app_env: file.File {\n  path: \"app.env\"\n  content: \"LOG_LEVEL=info\\n\"\n  mode: \"0666\"\n}",
    instead: "resource app_env: file.File {\n  path: \"app.env\"\n  content: \"LOG_LEVEL=info\\n\"\n  mode: \"0644\"\n}",
    fixable: false,
};

pub struct WorldWritableFile;
pub static RULE: WorldWritableFile = WorldWritableFile;

impl Rule for WorldWritableFile {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // The world-writable instances, grouped by declaration (keyed instances share one).
        let mut found: Vec<(&ResourceInstance, &str, usize)> = Vec::new();
        for r in cx.resources.iter().filter(|r| &*r.type_path == "file.File") {
            let Some(mode) = r.body.get("mode").and_then(|m| m.as_str()) else {
                continue;
            };
            if !world_writable(mode) {
                continue;
            }
            match found
                .iter_mut()
                .find(|(f, _, _)| f.file == r.file && f.span == r.span)
            {
                Some(entry) => entry.2 += 1,
                None => found.push((r, mode, 1)),
            }
        }
        for (r, mode, count) in found {
            let more = match count {
                1 => String::new(),
                2 => " (and 1 more instance)".to_string(),
                n => format!(" (and {} more instances)", n - 1),
            };
            out.push(Finding::new(
                r.file,
                r.span,
                format!(
                    "`{}` is world-writable: mode \"{mode}\" lets every user change the file{more}",
                    r.address()
                ),
                format!(
                    "take write permission away from others: mode \"{}\"",
                    without_other_write(mode)
                ),
            ));
        }
    }
}

/// Whether an octal mode (`"0644"`, `"755"`) has the write bit for others.
fn world_writable(mode: &str) -> bool {
    (3..=4).contains(&mode.len())
        && mode.bytes().all(|b| (b'0'..=b'7').contains(&b))
        && mode.bytes().last().is_some_and(|d| (d - b'0') & 0o2 != 0)
}

/// The mode without the write bit for others, written the same way (`"0666"` → `"0664"`).
fn without_other_write(mode: &str) -> String {
    let mut s = mode.to_string();
    if let Some(d) = s.pop() {
        let digit = d.to_digit(8).unwrap_or(0) & !0o2;
        s.push_str(&digit.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "world-writable-file")
            .map(|(_, m)| m)
            .collect()
    }

    fn file(mode: &str) -> String {
        format!("resource cfg: file.File {{ path: \"c.conf\", content: \"x\", mode: {mode} }}\n")
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(&file("\"0666\"")),
            ["`cfg` is world-writable: mode \"0666\" lets every user change the file"]
        );
        assert_eq!(names(&file("\"777\"")).len(), 1);
        assert_eq!(names(&file("\"0646\"")).len(), 1);
        assert_eq!(names(&file("\"0602\"")).len(), 1);
        // A computed mode.
        assert_eq!(
            names(
                "param shared: Bool = true\nfn mode(w) = if w { \"0666\" } else { \"0644\" }\nresource cfg: file.File { path: \"c\", content: \"\", mode: mode(shared) }\n"
            )
            .len(),
            1
        );
        // Keyed instances: one finding per declaration.
        assert_eq!(
            names(
                "for n in [\"a\", \"b\", \"c\"] {\n  resource env[n]: file.File { path: n, content: \"\", mode: \"0777\" }\n}\n"
            ),
            [
                "`env[\"a\"]` is world-writable: mode \"0777\" lets every user change the file (and 2 more instances)"
            ]
        );
        // Only some instances world-writable: only those count.
        assert_eq!(
            names(
                "for n, m in { a: \"0644\", b: \"0666\" } {\n  resource env[n]: file.File { path: n, content: \"\", mode: m }\n}\n"
            ),
            ["`env[\"b\"]` is world-writable: mode \"0666\" lets every user change the file"]
        );
        assert_eq!(names(super::INFO.example).len(), 1);
    }

    #[test]
    fn does_not_fire() {
        for mode in [
            "\"0644\"", "\"755\"", "\"0600\"", "\"0664\"", "\"0775\"", "null",
        ] {
            assert!(names(&file(mode)).is_empty(), "{mode}");
        }
        assert!(names("resource cfg: file.File { path: \"c\", content: \"\" }\n").is_empty());
        // Not a file.
        assert!(
            names("resource job: exec.Command { create: [\"true\"], mode: \"0666\" }\n").is_empty()
        );
        assert!(names(super::INFO.instead).is_empty());
    }

    #[test]
    fn modes() {
        assert!(super::world_writable("0666"));
        assert!(super::world_writable("777"));
        assert!(super::world_writable("0646"));
        assert!(!super::world_writable("0644"));
        assert!(!super::world_writable("0o666"));
        assert!(!super::world_writable("rw-rw-rw-"));
        assert_eq!(super::without_other_write("0666"), "0664");
        assert_eq!(super::without_other_write("777"), "775");
        assert_eq!(super::without_other_write("0646"), "0644");
    }
}

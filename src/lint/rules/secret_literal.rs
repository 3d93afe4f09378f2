//! `secret-literal`: a secret written as a string literal in the program: a password, token or
//! key under a name that says so, a string shaped like a well-known credential, the data of a
//! Kubernetes Secret, or a resource field marked `sensitive`.

use std::sync::LazyLock;

use regex::Regex;

use super::schema_naming::{snake, words};
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::source::FileId;
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0040",
    name: "secret-literal",
    group: Group::Security,
    level: Level::Warn,
    summary: "A secret is written as a string literal in the program.",
    why: "Whatever is in the program is in Git: everyone who can read the repository, every clone and every CI log of it has the secret, and it stays in the history after it is removed. The rule reports a non-empty string literal (not an interpolation, a reference or a placeholder for another tool like `\"\\${{ secrets.TOKEN }}\"`, `\"\\${DB_PASSWORD}\"` or `\"vault://...\"`) given to a field, object key, `let`, `param` default or environment variable (`{ name: \"DB_PASSWORD\", value: ... }`) whose name ends in password, passwd, passphrase, secret, token, credentials, api key, private key or access key; and any string shaped like a well-known credential (an AWS access key id, a GitHub or Slack token, a PEM private key, a URL with a password in it), wherever it is. Names about a secret rather than of one (`secretName`, `tokenPath`, `password_file`, `existingSecret`) are not reported, nor are objects of kinds that hold encrypted or referenced secrets (`SealedSecret`, `ExternalSecret`). Two deliberate choices: literal values in the `data` or `stringData` of a Kubernetes `Secret` ARE reported (once per Secret) — a Secret manifest is only base64, so committing it commits the secrets; a SealedSecret or an ExternalSecret keeps them out of Git. And a resource field marked with the `sensitive` option IS reported when its value is a literal, whatever its name: `sensitive` keeps a value out of plans and logs, not out of the repository. To keep a literal knowingly (a local development default), say so with `// cairn:allow(secret-literal): reason`.",
    example: "resource db: exec.Command {\n  create: [\"./scripts/create-db.sh\", \"shop\"]\n  password: \"hunter2\"\n}",
    instead: "/// Given with `--param db_password=...` or `CAIRN_PARAM_DB_PASSWORD`.\nparam db_password: String\nresource db: exec.Command(sensitive: [\"password\"]) {\n  create: [\"./scripts/create-db.sh\", \"shop\"]\n  password: db_password\n}",
    fixable: false,
};

pub struct SecretLiteral;
pub static RULE: SecretLiteral = SecretLiteral;

impl Rule for SecretLiteral {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut checker = Checker {
            cx,
            file: FileId::default(),
            out,
            reported: Vec::new(),
        };
        for item in cx.entry_items() {
            checker.item(item);
        }
    }
}

/// Well-known credential shapes: what they are, and the pattern.
static SHAPES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "a GitHub token",
            r"\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{82}\b",
        ),
        (
            "a private key",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        ),
        ("a Slack token", r"\bxox[baprs]-[0-9A-Za-z-]{10,}"),
        (
            "a URL with a password in it",
            r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
        ),
    ]
    .into_iter()
    .filter_map(|(what, pattern)| Regex::new(pattern).ok().map(|re| (what, re)))
    .collect()
});

/// What a credential-shaped string looks like, if it is one. Documentation placeholders
/// (AWS's `AKIAIOSFODNN7EXAMPLE`) are not credentials.
fn shape(s: &str) -> Option<&'static str> {
    SHAPES.iter().find_map(|(what, re)| {
        re.find_iter(s)
            .any(|m| !m.as_str().ends_with("EXAMPLE"))
            .then_some(*what)
    })
}

/// Words a secret's name ends in.
const TERMS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credentials",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
];

/// Words before `key` that make it a secret: `api_key`, `privateKey`, `AWS_SECRET_ACCESS_KEY`.
const KEY_KINDS: &[&str] = &["api", "private", "access", "secret"];

/// Words after a secret's name that still name the secret itself (`password_value`).
const QUALIFIERS: &[&str] = &["value", "plain", "plaintext", "raw"];

/// Whether a name says its value is a secret: its last word is a secret word (`db_password`,
/// `clientSecret`, `x-api-key`, `GITHUB_TOKEN`). A name about a secret (`secretName`,
/// `tokenPath`, `password_file`, `existingSecret`) is not.
fn is_secret_name(name: &str) -> bool {
    let mut w = words(name);
    while w.len() > 1 && w.last().is_some_and(|l| QUALIFIERS.contains(&l.as_str())) {
        w.pop();
    }
    let n = w.len();
    let Some(last) = w.last() else {
        return false;
    };
    let prev = n.checked_sub(2).map(|i| w[i].as_str());
    if prev == Some("existing") {
        return false;
    }
    TERMS.iter().any(|t| last.ends_with(t))
        || (last == "key" && prev.is_some_and(|p| KEY_KINDS.contains(&p)))
}

/// Whether a string is a template or variable for another tool (`${{ secrets.X }}`,
/// `{{ .Values.x }}`, `${DB_PASSWORD}`, `$TOKEN`): the value is filled in elsewhere.
fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("${") || s.contains("$(") || s.starts_with('$')
}

/// Whether a string stands for a value that lives elsewhere: a template, or a reference to a
/// secret store or an endpoint (`vault://kv/db`, `arn:aws:secretsmanager:...`) — unless the
/// URL carries a password itself (`postgres://user:pw@db`).
fn is_reference(s: &str) -> bool {
    let uri = s.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    is_template(s) || s.starts_with("arn:") || (uri && shape(s).is_none())
}

/// The text of an expression that is a plain, non-empty string literal standing for itself.
fn literal(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Paren(x) => literal(x),
        ExprKind::Lit(Literal::Str(s)) if !s.trim().is_empty() && !is_reference(s) => Some(s),
        _ => None,
    }
}

/// A literal value in a Secret's data: a non-empty string literal that is not a template
/// (everything in a Secret is a secret, URLs included), or `base64_encode` of one.
fn secret_value(e: &Expr) -> Option<Span> {
    match &e.kind {
        ExprKind::Paren(x) => secret_value(x),
        ExprKind::Call { callee, args } => match (&callee.kind, args.as_slice()) {
            (ExprKind::Var(f), [arg]) if &**f == "base64_encode" => {
                secret_value(arg).map(|_| e.span)
            }
            _ => None,
        },
        ExprKind::Lit(Literal::Str(s)) if !s.trim().is_empty() && !is_template(s) => Some(e.span),
        _ => None,
    }
}

/// The entries of an object, with those inside its `if` and `for` blocks.
fn flat_entries(entries: &[Entry]) -> Vec<&Entry> {
    let mut out = Vec::new();
    for e in entries {
        match &e.kind {
            EntryKind::For { entries: inner, .. } => out.extend(flat_entries(inner)),
            EntryKind::If {
                then, otherwise, ..
            } => {
                out.extend(flat_entries(then));
                if let Some(o) = otherwise {
                    out.extend(flat_entries(o));
                }
            }
            _ => out.push(e),
        }
    }
    out
}

/// The static key path of a field, if no part of it is computed.
fn static_path(f: &Field) -> Option<Vec<&str>> {
    f.path.iter().map(|k| k.as_static().map(|n| &**n)).collect()
}

/// The `kind: "..."` of an object literal, when it is written as a literal.
fn kind_of(entries: &[Entry]) -> Option<&str> {
    entries.iter().find_map(|e| match &e.kind {
        EntryKind::Field(f) if matches!(static_path(f).as_deref(), Some(["kind"])) => {
            match &f.value.kind {
                ExprKind::Lit(Literal::Str(s)) => Some(&**s),
                _ => None,
            }
        }
        _ => None,
    })
}

/// Whether a kind is one that holds secrets encrypted or by reference (`SealedSecret`,
/// `ExternalSecret`, `SecretStore`): its names say "secret", its values are not.
fn is_secret_manager(kind: &str) -> bool {
    kind != "Secret" && kind.contains("Secret")
}

/// A parameter name to suggest for a secret named `name`.
fn param_name(name: &str) -> String {
    let s = snake(name);
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        s
    } else {
        "secret".to_string()
    }
}

struct Checker<'a, 'c> {
    cx: &'a Context<'c>,
    file: FileId,
    out: &'a mut Vec<Finding>,
    /// The literals already reported (each is reported once, by the most specific check).
    reported: Vec<(FileId, Span)>,
}

impl Checker<'_, '_> {
    fn is_reported(&self, span: Span) -> bool {
        self.reported.contains(&(self.file, span))
    }

    fn report(&mut self, span: Span, message: String, help: String) {
        if self.is_reported(span) {
            return;
        }
        self.reported.push((self.file, span));
        self.out.push(Finding::new(self.file, span, message, help));
    }

    fn item(&mut self, item: &Item) {
        self.file = item.file;
        match &item.kind {
            ItemKind::Let(d) => {
                self.named(&d.name.name, &d.value);
                self.expr(&d.value, true);
            }
            ItemKind::Param(p) => {
                if let Some(d) = &p.default {
                    self.named(&p.name.name, d);
                    self.expr(d, true);
                }
            }
            ItemKind::Fn(d) => self.expr(&d.body, true),
            ItemKind::Field(f) => {
                if let Some(k) = f.path.last().and_then(|k| k.as_static()) {
                    self.named(k, &f.value);
                }
                self.expr(&f.value, true);
            }
            ItemKind::Spread(e) => self.expr(e, true),
            ItemKind::Resource(r) => self.resource(r),
            ItemKind::For(x) => {
                self.expr(&x.iter, true);
                if let Some(c) = &x.filter {
                    self.expr(c, true);
                }
                for i in &x.items {
                    self.item(i);
                }
            }
            ItemKind::If(x) => {
                self.expr(&x.cond, true);
                for i in x.then.iter().chain(x.otherwise.iter().flatten()) {
                    self.item(i);
                }
            }
            ItemKind::Schema(s) => {
                for m in &s.members {
                    match m {
                        SchemaMember::Field(f) => {
                            if let Some(d) = &f.default {
                                if let Some(k) = f.name.as_static() {
                                    self.named(k, d);
                                }
                                self.expr(d, true);
                            }
                        }
                        SchemaMember::Check(c) => {
                            self.expr(&c.cond, true);
                            if let Some(m) = &c.message {
                                self.expr(m, true);
                            }
                        }
                    }
                }
            }
            ItemKind::Type(_) | ItemKind::Import(_) | ItemKind::Error => {}
        }
    }

    fn resource(&mut self, r: &Resource) {
        if let Some(k) = &r.key {
            self.expr(k, true);
        }
        for (_, e) in &r.options {
            self.expr(e, true);
        }
        let last = r.ty.segments.last().map(|s| &*s.name).unwrap_or_default();
        let mut keys_ok = true;
        if let ExprKind::Object { entries, .. } = &r.body.kind {
            let kind = kind_of(entries);
            if last == "Secret" || kind == Some("Secret") {
                self.secret(Some(&r.name.name), entries);
            }
            keys_ok = !is_secret_manager(last) && !kind.is_some_and(is_secret_manager);
            // Fields the resource marks sensitive are secrets, whatever their names.
            let sensitive = self.sensitive(r);
            for e in flat_entries(entries) {
                let EntryKind::Field(f) = &e.kind else {
                    continue;
                };
                let Some(&[name]) = static_path(f).as_deref() else {
                    continue;
                };
                let param = format!("{}_{name}", r.name.name);
                if !sensitive.iter().any(|s| s == name) {
                    // Named after the resource in the suggestion: `param db_password`.
                    if keys_ok {
                        self.named_as(name, &f.value, &param);
                    }
                    continue;
                }
                if literal(&f.value).is_some() {
                    self.report(
                        f.value.span,
                        format!(
                            "`{name}` is marked sensitive, but its value is a literal string: plans hide it, the source does not"
                        ),
                        format!(
                            "pass it in as a parameter (`param {}: String`, given with `--param` or an environment variable) and keep the `sensitive` mark",
                            param_name(&param)
                        ),
                    );
                }
            }
        }
        self.expr(&r.body, keys_ok);
    }

    /// The body fields resource `r` marks sensitive: from its `sensitive` option as written, or
    /// as evaluated when it is computed.
    fn sensitive(&self, r: &Resource) -> Vec<String> {
        let mut names = Vec::new();
        for (name, e) in &r.options {
            if &*name.name != "sensitive" {
                continue;
            }
            if let ExprKind::List(els) = &e.kind {
                for el in els {
                    if let ElementKind::Expr(x) = &el.kind
                        && let ExprKind::Lit(Literal::Str(s)) = &x.kind
                    {
                        names.push(s.to_string());
                    }
                }
            }
        }
        for inst in self
            .cx
            .resources
            .iter()
            .filter(|i| i.name == r.name.name && i.file == self.file)
        {
            for s in &inst.options.sensitive {
                if !names.iter().any(|n| n == &**s) {
                    names.push(s.to_string());
                }
            }
        }
        names
    }

    /// A Kubernetes Secret's `data` and `stringData`: one finding for all its literal values.
    fn secret(&mut self, id: Option<&str>, entries: &[Entry]) {
        let mut spans: Vec<Span> = Vec::new();
        let mut sections: Vec<&str> = Vec::new();
        for e in flat_entries(entries) {
            let EntryKind::Field(f) = &e.kind else {
                continue;
            };
            let Some(path) = static_path(f) else {
                continue;
            };
            let Some(&section) = path
                .first()
                .filter(|s| **s == "data" || **s == "stringData")
            else {
                continue;
            };
            let before = spans.len();
            if path.len() > 1 {
                spans.extend(secret_value(&f.value));
            } else if let ExprKind::Object { entries: inner, .. } = &f.value.kind {
                for ie in flat_entries(inner) {
                    if let EntryKind::Field(g) = &ie.kind {
                        spans.extend(secret_value(&g.value));
                    }
                }
            }
            if spans.len() > before && !sections.contains(&section) {
                sections.push(section);
            }
        }
        spans.retain(|s| !self.is_reported(*s));
        let Some(&first) = spans.first() else {
            return;
        };
        let who = match id {
            Some(id) => format!("Secret `{id}`"),
            None => "this Secret".to_string(),
        };
        let n = spans.len();
        let mut finding = Finding::new(
            self.file,
            first,
            format!(
                "{who} has {n} literal value{} in `{}`: committed with the program, in plain text",
                if n == 1 { "" } else { "s" },
                sections.join("` and `")
            ),
            "a Secret is only base64-encoded: commit a SealedSecret or an ExternalSecret instead, or pass the values in as parameters",
        );
        for &s in &spans[1..] {
            finding
                .also
                .push((self.file, s, "another literal secret value".into()));
        }
        self.out.push(finding);
        self.reported.extend(spans.iter().map(|s| (self.file, *s)));
    }

    /// A value bound to a name (a field, key, `let` or parameter).
    fn named(&mut self, name: &str, value: &Expr) {
        self.named_as(name, value, name);
    }

    /// A value bound to a name; `param` is the name to suggest for a parameter.
    fn named_as(&mut self, name: &str, value: &Expr, param: &str) {
        if !is_secret_name(name) {
            return;
        }
        let Some(text) = literal(value) else {
            return;
        };
        if let Some(what) = shape(text) {
            self.shaped(value.span, what);
            return;
        }
        self.report(
            value.span,
            format!("`{name}` is set to a literal string: a secret in plain text in the source"),
            format!(
                "take it from a parameter (`param {}: String`, given with `--param` or an environment variable) or a secret manager, and rotate this one: it stays in the Git history",
                param_name(param)
            ),
        );
    }

    fn shaped(&mut self, span: Span, what: &str) {
        self.report(
            span,
            format!("this string looks like {what}: a credential in plain text in the source"),
            "revoke it (it stays in the Git history), then pass the new one in as a parameter or from a secret manager".to_string(),
        );
    }

    fn expr(&mut self, e: &Expr, keys_ok: bool) {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.expr_inner(e, keys_ok))
    }

    fn expr_inner(&mut self, e: &Expr, keys_ok: bool) {
        let mut keys_ok = keys_ok;
        match &e.kind {
            ExprKind::Lit(Literal::Str(s)) => {
                if let Some(what) = shape(s) {
                    self.shaped(e.span, what);
                }
            }
            ExprKind::Interp(parts) => {
                let found = parts.iter().find_map(|p| match p {
                    StrPart::Lit(s) => shape(s),
                    StrPart::Expr(_) => None,
                });
                if let Some(what) = found {
                    self.shaped(e.span, what);
                }
            }
            ExprKind::Object { entries, .. } => keys_ok = self.object(entries, keys_ok),
            ExprKind::Let { decl, .. } if keys_ok => self.named(&decl.name.name, &decl.value),
            _ => {}
        }
        for_each_child(e, &mut |c| self.expr(c, keys_ok));
    }

    /// Checks the entries of an object literal; whether names are still checked inside it.
    fn object(&mut self, entries: &[Entry], keys_ok: bool) -> bool {
        let kind = kind_of(entries);
        if kind == Some("Secret") {
            self.secret(None, entries);
        }
        if !keys_ok || kind.is_some_and(is_secret_manager) {
            return false;
        }
        let flat = flat_entries(entries);
        let mut env_name = None;
        let mut env_value = None;
        for e in &flat {
            match &e.kind {
                EntryKind::Field(f) => {
                    if let Some(k) = f.path.last().and_then(|k| k.as_static()) {
                        self.named(k, &f.value);
                    }
                    match static_path(f).as_deref() {
                        Some(["name"]) => env_name = literal(&f.value),
                        Some(["value"]) => env_value = Some(&f.value),
                        _ => {}
                    }
                }
                EntryKind::Let(d) => self.named(&d.name.name, &d.value),
                _ => {}
            }
        }
        // An environment variable: `{ name: "DB_PASSWORD", value: "..." }`.
        if let (Some(name), Some(value)) = (env_name, env_value)
            && is_secret_name(name)
            && let Some(text) = literal(value)
        {
            match shape(text) {
                Some(what) => self.shaped(value.span, what),
                None => self.report(
                    value.span,
                    format!(
                        "the variable `{name}` is given a literal value: a secret in plain text in the source"
                    ),
                    "take it from a Secret (`valueFrom.secretKeyRef`) or a parameter, and rotate this one: it stays in the Git history".to_string(),
                ),
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::lint_str;

    fn names(src: &str) -> Vec<String> {
        lint_str(src)
            .into_iter()
            .filter(|(r, _)| r == "secret-literal")
            .map(|(_, m)| m)
            .collect()
    }

    fn fires_once(src: &str) -> String {
        let found = names(src);
        assert_eq!(found.len(), 1, "{src}\n{found:?}");
        found.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn fires_on_names() {
        assert_eq!(
            fires_once("let db_password = \"hunter2\"\nx: db_password\n"),
            "`db_password` is set to a literal string: a secret in plain text in the source"
        );
        fires_once("password: \"hunter2\"\n");
        fires_once("db: { auth.clientSecret: \"s3cr3t\" }\n");
        fires_once("x: { \"x-api-key\": \"abc123\" }\n");
        fires_once("env: { GITHUB_TOKEN: \"abc\", LOG_LEVEL: \"info\" }\n");
        fires_once("x: { AWS_SECRET_ACCESS_KEY: \"wJalrXUtnFEMI\" }\n");
        fires_once("x: { apiKey: \"k\" }\n");
        fires_once("x: { private_key: \"k\" }\n");
        fires_once("x: { credentials: \"user:pass\" }\n");
        fires_once("x: { passwd: \"p\" }\n");
        assert_eq!(
            names("x: { passwd: \"p\", password_value: (\"p2\") }\n").len(),
            2
        );
        fires_once("param admin_token: String = \"changeme\"\nx: admin_token\n");
        fires_once(
            "schema Db { host: String, password: String = \"postgres\" }\nlet d: Db = { host: \"h\" }\nx: d\n",
        );
        fires_once("x: let token = \"t0k3n\" in token\n");
        fires_once("x: { let secret = \"s\"\n  y: secret }\n");
        fires_once("fn conn(h) = { host: h, password: \"pw\" }\nx: conn(\"db\")\n");
        fires_once(
            "let prod = true\nx: { if prod { password: \"pw\" } else { password: \"\" } }\n",
        );
        assert_eq!(
            fires_once(
                "x: { env: [{ name: \"DB_PASSWORD\", value: \"hunter2\" }, { name: \"LOG\", value: \"info\" }] }\n"
            ),
            "the variable `DB_PASSWORD` is given a literal value: a secret in plain text in the source"
        );
        // In a resource body.
        fires_once(super::INFO.example);
    }

    #[test]
    fn fires_on_shapes() {
        assert_eq!(
            fires_once("x: { id: \"AKIAABCDEFGHIJKLMNOP\" }\n"),
            "this string looks like an AWS access key id: a credential in plain text in the source"
        );
        let gh = format!("ghp_{}", "a1B2".repeat(9));
        assert!(fires_once(&format!("x: \"{gh}\"\n")).contains("a GitHub token"));
        // Under a secret name, the shape is what is reported.
        assert!(fires_once(&format!("token: \"{gh}\"\n")).contains("a GitHub token"));
        // In the literal part of an interpolation.
        assert!(
            fires_once(&format!(
                "let v = 1\nx: \"Authorization: token {gh} ${{v}}\"\n"
            ))
            .contains("a GitHub token")
        );
        assert!(
            fires_once(
                "key: \"\"\"\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n  -----END RSA PRIVATE KEY-----\n  \"\"\"\n"
            )
            .contains("a private key")
        );
        assert!(
            fires_once("x: [\"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Blbn\"]\n")
                .contains("a private key")
        );
        assert!(fires_once("x: \"xoxb-123456789012-abcdefABCDEF\"\n").contains("a Slack token"));
        assert!(fires_once("fn f() = \"AKIAABCDEFGHIJKLMNOP\"\nx: f()\n").contains("AWS"));
        assert!(
            fires_once("x: { DATABASE_URL: \"postgres://api:hunter2@db:5432/api\" }\n")
                .contains("a URL with a password in it")
        );
        assert!(
            fires_once("password: \"https://u:p@example.com\"\n").contains("a URL with a password")
        );
    }

    #[test]
    fn fires_on_kubernetes_secrets() {
        // Decision: a Secret's literal data is reported, once per Secret.
        assert_eq!(
            fires_once(
                "resource db: k8s.Secret {\n  apiVersion: \"v1\"\n  kind: \"Secret\"\n  metadata.name: \"db\"\n  stringData: { username: \"admin\", password: \"hunter2\" }\n}\n"
            ),
            "Secret `db` has 2 literal values in `stringData`: committed with the program, in plain text"
        );
        assert_eq!(
            fires_once(
                "resource tls: Cert {\n  kind: \"Secret\"\n  data.\"tls.key\": base64_encode(\"k\")\n  stringData: { a: \"b\" }\n}\nschema Cert { kind: String, data?: Any, stringData?: Any }\n"
            ),
            "Secret `tls` has 2 literal values in `data` and `stringData`: committed with the program, in plain text"
        );
        assert_eq!(
            fires_once(
                "fn secret(n) = { apiVersion: \"v1\", kind: \"Secret\", metadata.name: n, stringData: { API_TOKEN: \"abc\" } }\nx: secret(\"a\")\n"
            ),
            "this Secret has 1 literal value in `stringData`: committed with the program, in plain text"
        );
        // Everything in a Secret counts, whatever its name, URLs included; templates do not.
        assert_eq!(
            fires_once(
                "resource api: k8s.Secret {\n  stringData: {\n    URL: \"postgres://db/api\"\n    HOOK: \"https://hooks.example.com/T0/B0/x\"\n    TPL: \"\\${API_KEY}\"\n  }\n}\n"
            ),
            "Secret `api` has 2 literal values in `stringData`: committed with the program, in plain text"
        );
    }

    #[test]
    fn fires_on_sensitive_fields() {
        // Decision: `sensitive` hides a value from plans, not from Git; a literal is reported.
        assert_eq!(
            fires_once(
                "resource env: file.File(sensitive: [\"content\"]) {\n  path: \"app.env\"\n  content: \"DB_URL=postgres://u:p@db/app\\n\"\n}\n"
            ),
            "`content` is marked sensitive, but its value is a literal string: plans hide it, the source does not"
        );
        assert!(
            fires_once(
                "resource db: exec.Command(sensitive: [\"password\"]) { create: [\"x\"], password: \"pw\" }\n"
            )
            .contains("marked sensitive")
        );
    }

    #[test]
    fn does_not_fire() {
        for src in [
            // Not literals, or empty.
            "param db_password: String\nx: { password: db_password }\n",
            "param pw: String = \"\"\nx: { password: pw, token: \"\", secret: \"  \" }\n",
            "param pw = \"\"\nx: { password: \"${pw}\" }\n",
            "let t = { token: null, password: 3, secret: true, apiKey: [\"a\"] }\nx: t\n",
            // Placeholders for other tools and references to secret stores.
            "steps: [{ with: { token: \"\\${{ secrets.GITHUB_TOKEN }}\" } }]\n",
            "x: { password: \"\\${DB_PASSWORD}\", token: \"$TOKEN\", secret: \"{{ .Values.secret }}\" }\n",
            "x: { password: \"vault://kv/db#password\", api_key: \"arn:aws:secretsmanager:eu:1:secret:k\" }\n",
            "x: { url: \"postgres://api@db/api\", db: \"postgres://api:${1}@db\", token: \"https://t.example.com/\" }\n",
            // Names about a secret, not of one.
            "x: { secretName: \"tls\", tokenPath: \"/var/run/token\", password_file: \"/run/pw\" }\n",
            "x: { existingSecret: \"db\", secretKeyRef: { name: \"db\", key: \"password\" } }\n",
            "x: { passwordless: \"true\", tokenizer: \"bert\", secrets: \"inherit\", access_key_id: \"id\" }\n",
            "x: { env: [{ name: \"DB_PASSWORD\", valueFrom.secretKeyRef: { name: \"db\", key: \"password\" } }] }\n",
            "x: { env: [{ name: \"LOG_LEVEL\", value: \"debug\" }] }\n",
            // Kinds that hold secrets encrypted or by reference.
            "x: { kind: \"SealedSecret\", spec.encryptedData: { password: \"AgBy3i4OJSWK+PiTySYZZA\" } }\n",
            "x: { kind: \"ExternalSecret\", spec.data: [{ secretKey: \"password\", remoteRef: { key: \"db\" } }] }\n",
            // A Secret filled from parameters.
            "param pw: String = \"\"\nresource db: k8s.Secret { kind: \"Secret\", stringData: { password: pw } }\n",
            // Credential-like strings that are not credentials.
            "x: [\"AKIAIOSFODNN7EXAMPLE\", \"-----BEGIN PUBLIC KEY-----\", \"ghp_short\", \"AKIA\"]\n",
            // A sensitive field that is not a literal.
            "param pw: String = \"\"\nresource db: exec.Command(sensitive: [\"password\"]) { create: [\"x\"], password: pw }\n",
        ] {
            assert!(names(src).is_empty(), "{src}\n{:?}", names(src));
        }
        assert!(names(super::INFO.instead).is_empty());
    }

    #[test]
    fn secret_names() {
        use super::is_secret_name;
        for yes in [
            "password",
            "db_password",
            "DB_PASSWORD",
            "adminPassword",
            "dbpassword",
            "client-secret",
            "githubToken",
            "api_key",
            "APIKey",
            "x-api-key",
            "privateKey",
            "aws_secret_access_key",
            "SECRET_KEY",
            "credentials",
            "token_value",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "secretName",
            "secret_ref",
            "tokenTTL",
            "password_file",
            "existingSecret",
            "secrets",
            "key",
            "public_key",
            "access_key_id",
            "name",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }
}

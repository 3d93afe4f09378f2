use std::path::{Path, PathBuf};

use super::*;

const FILE: FileId = FileId(0);

fn fmt(src: &str) -> String {
    match format_source(FILE, src) {
        Ok(s) => s,
        Err(e) => panic!("does not parse: {e:?}\n{src}"),
    }
}

/// The items of a module, printed without their spans.
fn ast_without_spans(src: &str) -> String {
    let parsed = crate::syntax::parse(FILE, src);
    assert!(parsed.errors.is_empty(), "{:?}\n{src}", parsed.errors);
    strip_spans(&format!("{:?}", parsed.module.items))
}

/// Replaces every `Span { start: N, end: M }` by `Span`.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { start: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        let after = &rest[i + OPEN.len()..];
        match after.find(" }") {
            Some(j) => rest = &after[j + 2..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The texts of a file's regular comments, in order (line comments without trailing blanks).
fn comment_texts(src: &str) -> Vec<String> {
    crate::syntax::parse(FILE, src)
        .module
        .comments
        .iter()
        .map(|c| {
            if c.block {
                c.text.clone()
            } else {
                c.text.trim_end().to_string()
            }
        })
        .collect()
}

/// Formats `src` and checks every promise of the formatter on it; returns the formatted text.
fn check_all(name: &str, src: &str) -> String {
    let once = match format_source(FILE, src) {
        Ok(s) => s,
        Err(e) => panic!("{name}: does not format: {e:?}"),
    };
    let twice = match format_source(FILE, &once) {
        Ok(s) => s,
        Err(e) => panic!("{name}: the formatted text does not parse: {e:?}\n{once}"),
    };
    if once != twice {
        panic!(
            "{name}: not idempotent\n--- once\n{once}\n--- twice\n{twice}\n--- diff\n{}",
            first_difference(&once, &twice)
        );
    }
    let before = ast_without_spans(src);
    let after = ast_without_spans(&once);
    if before != after {
        panic!(
            "{name}: the AST changed\n{}\n--- formatted\n{once}",
            first_difference(&before, &after)
        );
    }
    assert_eq!(
        comment_texts(src),
        comment_texts(&once),
        "{name}: comments changed\n{once}"
    );
    assert!(
        once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")),
        "{name}: must end with one line break"
    );
    assert!(
        !once
            .lines()
            .any(|l| l.ends_with(' ') && !in_string_or_doc(l))
            || src.contains("\"\"\""),
        "{name}: trailing white space\n{once}"
    );
    once
}

fn in_string_or_doc(line: &str) -> bool {
    line.trim_start().starts_with("///")
}

fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = at.saturating_sub(200);
    format!(
        "at byte {at}:\n  a: {:?}\n  b: {:?}",
        a.get(from..(at + 200).min(a.len())).unwrap_or(""),
        b.get(from..(at + 200).min(b.len())).unwrap_or("")
    )
}

// ---------------------------------------------------------------------------------------------
// Construct by construct

/// `(before, after)`: `after` is the canonical form of `before`, and is its own canonical form.
fn table(cases: &[(&str, &str)]) {
    for (before, after) in cases {
        let got = check_all(before, before);
        assert_eq!(&got, after, "formatting\n{before}");
        assert_eq!(&check_all(after, after), after, "formatting\n{after}");
    }
}

#[test]
fn items() {
    table(&[
        ("", ""),
        ("\n\n", ""),
        ("a:1", "a: 1\n"),
        ("a : 1 , b:2", "a: 1\nb: 2\n"),
        ("\n\na: 1\n\n\n\nb: 2\n\n\n", "a: 1\n\nb: 2\n"),
        ("let   x=1", "let x = 1\n"),
        ("let x : Int = 1", "let x: Int = 1\n"),
        (
            "param env : String=\"dev\"",
            "param env: String = \"dev\"\n",
        ),
        ("param env", "param env\n"),
        ("param n = 3", "param n = 3\n"),
        (
            "type Port=Int( 1 ..= 65535 )",
            "type Port = Int(1..=65535)\n",
        ),
        ("import std . k8s", "import std.k8s\n"),
        (
            "import \"./lib/net.cairn\"   as  net",
            "import \"./lib/net.cairn\" as net\n",
        ),
        ("...  base", "...base\n"),
        (
            "fn add( a:Int , b : Int )->Int=a+b",
            "fn add(a: Int, b: Int) -> Int = a + b\n",
        ),
        ("fn f() = 1", "fn f() = 1\n"),
        ("fn long(x) =\n      x + 1", "fn long(x) =\n  x + 1\n"),
        ("let x =\n\n  1", "let x =\n  1\n"),
    ]);
}

#[test]
fn keys_and_dotted_keys() {
    table(&[
        ("metadata . name: \"web\"", "metadata.name: \"web\"\n"),
        (
            "\"app.kubernetes.io/name\" : \"web\"",
            "\"app.kubernetes.io/name\": \"web\"\n",
        ),
        ("a.\"b.c\".d: 1", "a.\"b.c\".d: 1\n"),
        ("runs-on: \"x\"\nif: 1", "runs-on: \"x\"\nif: 1\n"),
        (
            "let env = \"p\"\nflags: {\"debug-${env}\":false}",
            "let env = \"p\"\nflags: { \"debug-${env}\": false }\n",
        ),
    ]);
}

#[test]
fn objects_and_lists() {
    table(&[
        ("a: {x:1,y:2}", "a: { x: 1, y: 2 }\n"),
        ("a: {  }", "a: {}\n"),
        ("a: {\n}", "a: {}\n"),
        ("a: [ ]", "a: []\n"),
        ("a: [\n]", "a: []\n"),
        ("a: [1,2,3,]", "a: [1, 2, 3]\n"),
        ("a: [1,\n2]", "a: [\n  1,\n  2,\n]\n"),
        ("a: {x: 1\ny: 2}", "a: {\n  x: 1\n  y: 2\n}\n"),
        ("a: {\n  x: 1,\n  y: 2,\n}", "a: {\n  x: 1\n  y: 2\n}\n"),
        ("a: {\n  x: 1\n\n\n  y: 2\n}", "a: {\n  x: 1\n\n  y: 2\n}\n"),
        ("a: {\n\n  x: 1\n\n}", "a: {\n  x: 1\n}\n"),
        // Hugging: the last element spans lines, the others are on the opening line.
        ("a: [{\n  x: 1\n}]", "a: [{\n  x: 1\n}]\n"),
        ("a: merge(b, {\n  x: 1\n})", "a: merge(b, {\n  x: 1\n})\n"),
        ("a: f(\n  b,\n  c\n)", "a: f(\n  b,\n  c,\n)\n"),
        ("a: f( b , c , )", "a: f(b, c)\n"),
        ("a: f(\n)", "a: f()\n"),
        ("s: { ...base , x: 1 }", "s: { ...base, x: 1 }\n"),
        ("s: [ 0, ...xs ]", "s: [0, ...xs]\n"),
        ("a: { let x = 1, y: x }", "a: { let x = 1, y: x }\n"),
        (
            "a: {\n  let x: Int = 1\n  y: x\n}",
            "a: {\n  let x: Int = 1\n  y: x\n}\n",
        ),
        ("a: [[1, 2], [3]]", "a: [[1, 2], [3]]\n"),
    ]);
}

#[test]
fn long_lines_break() {
    let items: Vec<String> = (0..30).map(|i| format!("\"item{i}\"")).collect();
    let src = format!("xs: [{}]", items.join(", "));
    let out = check_all("long", &src);
    assert!(
        out.starts_with("xs: [\n  \"item0\",\n  \"item1\",\n"),
        "{out}"
    );
    assert!(out.ends_with("  \"item29\",\n]\n"), "{out}");
    let fields: Vec<String> = (0..20).map(|i| format!("field{i}: {i}")).collect();
    let src = format!("o: {{ {} }}", fields.join(", "));
    let out = check_all("long object", &src);
    assert!(out.starts_with("o: {\n  field0: 0\n  field1: 1\n"), "{out}");
    // Exactly 100 columns fits; 101 does not.
    let fits = format!("x: [\"{}\"]", "a".repeat(100 - 7));
    assert_eq!(check_all("fits", &fits), format!("{fits}\n"));
    let too_long = format!("x: [\"{}\"]", "a".repeat(101 - 7));
    assert!(check_all("too long", &too_long).starts_with("x: [\n"));
}

#[test]
fn expressions() {
    table(&[
        ("a: 1+2*3", "a: 1 + 2 * 3\n"),
        ("a: (1+2)*3", "a: (1 + 2) * 3\n"),
        ("a: ( ( 1 ) )", "a: ((1))\n"),
        ("a: - 5", "a: -5\n"),
        ("a: -x", "a: -x\n"),
        ("a: - - 5", "a: --5\n"),
        ("a: ! b", "a: !b\n"),
        ("a: b ?? c", "a: b ?? c\n"),
        ("a: x?.y . z [ 0 ]", "a: x?.y.z[0]\n"),
        ("a: f( 1 )( 2 )", "a: f(1)(2)\n"),
        (
            "a: 0x1F + 1_000 + 1e6 + 2.5e-3",
            "a: 0x1F + 1_000 + 1e6 + 2.5e-3\n",
        ),
        ("a: a/b", "a: a / b\n"),
        ("a: x &&\n  y ||\n  z", "a: x &&\n  y ||\n  z\n"),
        ("a: x\n  && y", "a: x &&\n  y\n"),
        ("a: if c {1} else {2}", "a: if c { 1 } else { 2 }\n"),
        (
            "a: if c {1} else if d {2} else {3}",
            "a: if c { 1 } else if d { 2 } else { 3 }\n",
        ),
        (
            "a: if c { 1 } else { if d { 2 } else { 3 } }",
            "a: if c { 1 } else if d { 2 } else { 3 }\n",
        ),
        (
            "a: if c {\n1 } else { 2 }",
            "a: if c {\n  1\n} else {\n  2\n}\n",
        ),
        (
            "a: if c { 1 }\nelse if d { 2 }\nelse { 3 }",
            "a: if c {\n  1\n} else if d {\n  2\n} else {\n  3\n}\n",
        ),
        ("a: let x=1 in x", "a: let x = 1 in x\n"),
        ("a: let x : Int=1 in x", "a: let x: Int = 1 in x\n"),
        (
            "fn f(p) =\n  let a = 1 in\n  let b = 2 in\n  a + b",
            "fn f(p) =\n  let a = 1 in\n  let b = 2 in\n  a + b\n",
        ),
        ("f: fn( x ) = x+1", "f: fn(x) = x + 1\n"),
        ("f: fn(x: Int) -> Int = x", "f: fn(x: Int) -> Int = x\n"),
        (
            "f: sort_by(xs, fn(x)=x.name)",
            "f: sort_by(xs, fn(x) = x.name)\n",
        ),
        (
            "f: map(xs, fn(x) = {\n  a: x\n})",
            "f: map(xs, fn(x) = {\n  a: x\n})\n",
        ),
    ]);
}

#[test]
fn comprehensions() {
    table(&[
        ("a: [for x in xs:x]", "a: [for x in xs: x]\n"),
        (
            "a: [for i,x in xs if i>0 : x]",
            "a: [for i, x in xs if i > 0: x]\n",
        ),
        ("a: [if c : 1, 2]", "a: [if c: 1, 2]\n"),
        (
            "a: [for a in xs: for b in ys: a + b]",
            "a: [for a in xs: for b in ys: a + b]\n",
        ),
        ("a: [for x in xs: ...x]", "a: [for x in xs: ...x]\n"),
        (
            "a: [\n  for x in xs:\n      if x { 1 } else { 2 }\n]",
            "a: [\n  for x in xs:\n    if x { 1 } else { 2 },\n]\n",
        ),
        (
            "a: {for s in xs {\"${s}\": 1}}",
            "a: { for s in xs { \"${s}\": 1 } }\n",
        ),
        (
            "a: {\n  for s in xs {\n    \"${s}\": 1\n  }\n}",
            "a: {\n  for s in xs {\n    \"${s}\": 1\n  }\n}\n",
        ),
        (
            "a: { if c {x: 1} else {y: 2} }",
            "a: { if c { x: 1 } else { y: 2 } }\n",
        ),
        (
            "a: { if c {x: 1} else { if d { y: 2 } } }",
            "a: { if c { x: 1 } else if d { y: 2 } }\n",
        ),
        (
            "a: {\n  if c {\n    x: 1\n  } else {}\n}",
            "a: {\n  if c {\n    x: 1\n  } else {}\n}\n",
        ),
    ]);
}

#[test]
fn blocks() {
    table(&[
        (
            "for r in regions { \"${r}\": 1 }",
            "for r in regions {\n  \"${r}\": 1\n}\n",
        ),
        (
            "for r in xs if r != \"\" {}",
            "for r in xs if r != \"\" {}\n",
        ),
        (
            "if debug { level: 1 } else { level: 2 }",
            "if debug {\n  level: 1\n} else {\n  level: 2\n}\n",
        ),
        (
            "if a { x: 1 } else if b { x: 2 } else { let y = 3\n x: y }",
            "if a {\n  x: 1\n} else if b {\n  x: 2\n} else {\n  let y = 3\n  x: y\n}\n",
        ),
        (
            "for x in xs {\n  let y = x\n\n\n  fn f(a) = a\n  \"${y}\": f(1)\n}",
            "for x in xs {\n  let y = x\n\n  fn f(a) = a\n  \"${y}\": f(1)\n}\n",
        ),
    ]);
}

#[test]
fn schemas_and_types() {
    table(&[
        ("schema S {}", "schema S {}\n"),
        (
            "schema S { a: String, b?: Int = 1 }",
            "schema S {\n  a: String\n  b?: Int = 1\n}\n",
        ),
        (
            "/// A service.\nschema Service extends Base , Other {\n  /// DNS-safe.\n  name: String(matches: \"^[a-z]+$\", len: 1..=63)\n  port: Int(1..=65535) = 8080\n  labels: {String:String} = { app: name }\n  check port != 8080 || name != \"\" , \"msg\"\n}",
            "/// A service.\nschema Service extends Base, Other {\n  /// DNS-safe.\n  name: String(matches: \"^[a-z]+$\", len: 1..=63)\n  port: Int(1..=65535) = 8080\n  labels: {String: String} = { app: name }\n  check port != 8080 || name != \"\", \"msg\"\n}\n",
        ),
        (
            "schema S {\n  check a, \"\"\"\n    multi\n    \"\"\"\n}",
            "schema S {\n  check a, \"\"\"\n    multi\n    \"\"\"\n}\n",
        ),
        ("type E = \"a\"|\"b\"", "type E = \"a\" | \"b\"\n"),
        ("type O = String ?", "type O = String?\n"),
        ("type O = (A | B)?", "type O = (A | B)?\n"),
        ("type O = A | (B | C)", "type O = A | (B | C)\n"),
        (
            "type L = [ Int ] ( len : 1 .. )",
            "type L = [Int](len: 1..)\n",
        ),
        (
            "type F = fn( Int , String )->Bool",
            "type F = fn(Int, String) -> Bool\n",
        ),
        ("type F = (fn() -> A) | B", "type F = (fn() -> A) | B\n"),
        ("type F = A | fn() -> B", "type F = A | (fn() -> B)\n"),
        ("type F = (fn() -> A)?", "type F = (fn() -> A)?\n"),
        ("type F = fn() -> A | B", "type F = fn() -> A | B\n"),
        ("type P = (String)", "type P = String\n"),
        (
            "type R = Float( -1.5 .. 2e3 )",
            "type R = Float(-1.5..2e3)\n",
        ),
        ("type R = Int(..0x10)", "type R = Int(..0x10)\n"),
        ("type R = Int(-3..=-1)", "type R = Int(-3..=-1)\n"),
        (
            "type N = -5 | 1_0 | 0.5 | true | null",
            "type N = -5 | 1_0 | 0.5 | true | null\n",
        ),
        ("type D = Foo()", "type D = Foo\n"),
        ("type M = k8s . Deployment", "type M = k8s.Deployment\n"),
    ]);
}

#[test]
fn resources() {
    table(&[
        (
            "resource ns: k8s.Namespace {apiVersion: \"v1\"}",
            "resource ns: k8s.Namespace { apiVersion: \"v1\" }\n",
        ),
        (
            "resource ns : k8s.Namespace {\n  metadata.name: \"shop\"\n}",
            "resource ns: k8s.Namespace {\n  metadata.name: \"shop\"\n}\n",
        ),
        (
            "for n in xs {\n  resource cm [ n ] : k8s.ConfigMap = f(n)\n}",
            "for n in xs {\n  resource cm[n]: k8s.ConfigMap = f(n)\n}\n",
        ),
        ("resource x: T = { a: 1 }", "resource x: T { a: 1 }\n"),
        (
            "resource db: exec.Command( protect : true , depends_on: [cache] , ) { run: \"x\" }",
            "resource db: exec.Command(protect: true, depends_on: [cache]) { run: \"x\" }\n",
        ),
        (
            "resource db: exec.Command(\n  protect: true,\n  sensitive: [\"password\"]\n) {\n  run: \"x\"\n}",
            "resource db: exec.Command(\n  protect: true,\n  sensitive: [\"password\"],\n) {\n  run: \"x\"\n}\n",
        ),
        (
            "resource b: k8s.CronJob =\n  scheduled(\"db\")",
            "resource b: k8s.CronJob =\n  scheduled(\"db\")\n",
        ),
    ]);
}

#[test]
fn strings() {
    table(&[
        (
            "a: \"x ${ 1+2 } \\\"q\\\" \\u{2603} \\${ no }\"",
            "a: \"x ${ 1+2 } \\\"q\\\" \\u{2603} \\${ no }\"\n",
        ),
        (
            "a: {\n      s: \"\"\"\n        line ${x}\n          more\n        \"\"\"\n}",
            "a: {\n  s: \"\"\"\n        line ${x}\n          more\n        \"\"\"\n}\n",
        ),
        (
            "a: \"\"\"\n  trailing   \n  no break\"\"\" + \"x\"",
            "a: \"\"\"\n  trailing   \n  no break\"\"\" + \"x\"\n",
        ),
        ("a: \"${ {x: 1}.x }\"", "a: \"${ {x: 1}.x }\"\n"),
        ("a: \"${ x /* c */ }\"", "a: \"${ x /* c */ }\"\n"),
    ]);
}

#[test]
fn comments() {
    table(&[
        ("// only a comment", "// only a comment\n"),
        (
            "//! Module docs.\n\n// a\na: 1",
            "//! Module docs.\n\n// a\na: 1\n",
        ),
        ("a: 1 // trailing   ", "a: 1 // trailing\n"),
        ("a: 1    /* block */", "a: 1 /* block */\n"),
        ("a: 1, // c\nb: 2", "a: 1 // c\nb: 2\n"),
        ("a: 1, b: 2 // c", "a: 1\nb: 2 // c\n"),
        ("a: 1\n\n\n// own\nb: 2", "a: 1\n\n// own\nb: 2\n"),
        (
            "a: 1\n// end\n\n\n// of file\n\n",
            "a: 1\n// end\n\n// of file\n",
        ),
        (
            "o: {\n  a: 1 // one\n  // before b\n  b: 2 /* two */\n  // at the end\n}",
            "o: {\n  a: 1 // one\n  // before b\n  b: 2 /* two */\n  // at the end\n}\n",
        ),
        ("o: { // open\n  a: 1\n}", "o: { // open\n  a: 1\n}\n"),
        ("o: {\n  // nothing\n}", "o: {\n  // nothing\n}\n"),
        (
            "o: { a: 1, /* x */ b: 2 }",
            "o: {\n  a: 1 /* x */\n  b: 2\n}\n",
        ),
        ("l: [1, // one\n  2]", "l: [\n  1, // one\n  2,\n]\n"),
        ("l: [1 /* one */, 2]", "l: [\n  1 /* one */,\n  2,\n]\n"),
        ("x: a + /* c */ b", "x: a + /* c */ b\n"),
        ("x: a /* c */ + b", "x: a /* c */ + b\n"),
        ("x: a + // c\n  b", "x: a + // c\n  b\n"),
        ("x: a // c\n  + b", "x: a // c\n  + b\n"),
        ("x:\n  // why\n  5", "x:\n  // why\n  5\n"),
        ("let x = // c\n  5", "let x = // c\n  5\n"),
        ("fn f(a) /* c */ = a", "fn f(a) /* c */ = a\n"),
        ("/// doc\n// plain\nx: 1", "/// doc\n// plain\nx: 1\n"),
        (
            "/// a\n//// four\n///b\n///\nx: 1",
            "/// a\n/// b\n///\n//// four\nx: 1\n",
        ),
        ("/* multi\n   line */\nx: 1", "/* multi\n   line */\nx: 1\n"),
        (
            "x: 1 /* a /* nested */ b */",
            "x: 1 /* a /* nested */ b */\n",
        ),
        (
            "schema S {\n  a: Int // why\n  // own\n  check a > 0 // pos\n}",
            "schema S {\n  a: Int // why\n  // own\n  check a > 0 // pos\n}\n",
        ),
        (
            "if c { // open\n  a: 1 // one\n} // end",
            "if c { // open\n  a: 1 // one\n} // end\n",
        ),
        (
            "a: if c { 1 } else { 2 } // c",
            "a: if c { 1 } else { 2 } // c\n",
        ),
        (
            "a: if c { // x\n 1 } else { 2 }",
            "a: if c { // x\n  1\n} else {\n  2\n}\n",
        ),
        ("a: [ /* empty */ ]", "a: [ /* empty */\n]\n"),
        ("a: f(x /* c */)", "a: f(\n  x, /* c */\n)\n"),
        (
            "type T = Int /* c */ | String",
            "type T = Int /* c */ | String\n",
        ),
        ("a: - /* c */ 5", "a: -5 /* c */\n"),
    ]);
}

#[test]
fn trailing_comments_align() {
    table(&[
        (
            "o: {\n  a: 1 // one\n  long_name: 2    // two\n  c: 3\n  d: 4 // four\n}",
            "o: {\n  a: 1         // one\n  long_name: 2 // two\n  c: 3\n  d: 4 // four\n}\n",
        ),
        (
            "a: 1 // x\nbb: 2 // y\n\nccc: 3 // z",
            "a: 1  // x\nbb: 2 // y\n\nccc: 3 // z\n",
        ),
        // Lines of another indentation are another group.
        (
            "o: { // open\n  a: 1 // one\n} // close",
            "o: { // open\n  a: 1 // one\n} // close\n",
        ),
        // Comment markers inside strings are not comments.
        (
            "a: \"// no\" // yes\nbbbb: 1 // too",
            "a: \"// no\" // yes\nbbbb: 1    // too\n",
        ),
    ]);
}

#[test]
fn hugging() {
    table(&[
        (
            "rules: [for h in hosts: {\n  host: h\n}]",
            "rules: [for h in hosts: {\n  host: h\n}]\n",
        ),
        ("a: [1, if c: {\n  x: 1\n}]", "a: [1, if c: {\n  x: 1\n}]\n"),
        ("a: [...{\n  x: 1\n}]", "a: [...{\n  x: 1\n}]\n"),
        (
            "a: f(x, if c {\n  1\n} else {\n  2\n})",
            "a: f(x, if c {\n  1\n} else {\n  2\n})\n",
        ),
        ("a: [[\n  1,\n]]", "a: [[\n  1,\n]]\n"),
        // Not hugging: an element on another line, a comment outside the last element.
        (
            "a: [\n  {\n    x: 1\n  }]",
            "a: [\n  {\n    x: 1\n  },\n]\n",
        ),
        (
            "a: [{\n  x: 1\n} // c\n]",
            "a: [\n  {\n    x: 1\n  }, // c\n]\n",
        ),
        (
            "a: [{\n  x: 1\n}, 2]",
            "a: [\n  {\n    x: 1\n  },\n  2,\n]\n",
        ),
    ]);
}

#[test]
fn docs_on_entries_and_members() {
    table(&[(
        "service: {\n  /// The DNS name.\n  name: \"web\"\n  ///   Indented doc.\n  ///\n  port: 80\n}",
        "service: {\n  /// The DNS name.\n  name: \"web\"\n  ///   Indented doc.\n  ///\n  port: 80\n}\n",
    )]);
    // Trailing white space inside a doc comment is part of its text.
    let src = "/// doc   \nx: 1\n";
    assert_eq!(check_all("doc", src), src);
}

#[test]
fn tricky_programs_round_trip() {
    for src in [
        "x: a.b-1",
        "x: -9223372036854775808",
        "x: 1 - -2 - - 3",
        "x: [for x in xs: if c: x]",
        "x: f()()[0].y?.z",
        "x: \"${ \"\"\"\n  a\n  \"\"\" }\"",
        "x: \"a ${ b // c\n } d\"",
        "for n in xs {\n  resource r[n]: exec.Command(protect: true) =\n    f(n)\n}",
        "param p: fn(Int) -> Int = fn(x) = x",
        "let f = fn(x) = fn(y) = x + y",
        "x: (if a { 1 } else { 2 }) + 1",
        "x: {a: 1}.a + [1, 2][0]",
        "x: a /* c */ . d",
        "x: a ?. b",
        "schema S { a /* c */ ? : Int /* d */ = /* e */ 1 }",
        "type T = /* a */ [ /* b */ Int /* c */ ] /* d */ ( len /* e */ : /* f */ 1 .. /* g */ 2 )",
        "type T = { /* a */ String /* b */ : /* c */ Int }",
        "import /* a */ std /* b */ . /* c */ k8s /* d */ as /* e */ k",
        "x: [ // a\n  1, // b\n  // c\n  2 // d\n  , // e\n]",
        "x: { // a\n  /// doc\n  // between\n  a: 1\n}",
        "x: if /* a */ c /* b */ { /* c */ 1 /* d */ } /* e */ else /* f */ { /* g */ 2 /* h */ }",
        "x: let /* a */ y /* b */ = /* c */ 1 /* d */ in /* e */ y",
        "if c {\n} else {\n  // only a comment\n}",
        "for x in xs { // c\n}",
        "x: {\n  if a {\n    b: 1\n  } else { // c\n    if d { e: 2 }\n  }\n}",
        "x: [\n  1,\n\n\n  2,\n]",
        "x: fn(a, b,) = a",
        "x: f(a,)",
        "resource r: T() { a: 1 }",
        "x: a\n  ?? b\n  ?? c",
        "x: (\n  a +\n  b\n)",
        "x: [1, 2] /* c */ + [3]",
        "/* a */ /* b */ x: 1 /* c */ /* d */",
        "x: 1 // a\n// b\ny: 2",
        "x: \"\"\"\n  a\n  \"\"\" // c\ny: 1 // d",
        "x: [\"\"\"\n  a\n  \"\"\", 1]",
        "schema S {\n  /// doc\n  check a, \"msg\" // c\n\n  b: Int\n}",
    ] {
        check_all(src, src);
    }
}

#[test]
fn crlf_and_bom() {
    let src = "\u{FEFF}a: 1\r\n// c\r\nb: { x: 1 }\r\n";
    assert_eq!(check_all("crlf", src), "a: 1\n// c\nb: { x: 1 }\n");
}

#[test]
fn syntax_errors_are_returned() {
    let err = format_source(FILE, "a: [1,\nb: 2").err();
    assert!(err.is_some_and(|e| !e.is_empty()));
    assert!(format_source(FILE, "x: )").is_err());
}

// ---------------------------------------------------------------------------------------------
// Stack safety

#[test]
fn deep_nesting_does_not_overflow() {
    let src = format!("x: {}1{}", "[".repeat(200), "]".repeat(200));
    let out = check_all("deep lists", &src);
    assert!(out.contains("1"));
    let src = format!("x: {}1{}", "{a: ".repeat(200), "}".repeat(200));
    check_all("deep objects", &src);
    let src = format!("x: {}1{}", "(".repeat(200), ")".repeat(200));
    check_all("deep parens", &src);
    // Within the parser's expression limit, long chains format; past it, the parser's error
    // comes back (and nothing overflows either way).
    let src = format!("x: 1{}", " + 1".repeat(900));
    check_all("long chain", &src);
    let src = format!("x: 1{}", " +\n  1".repeat(900));
    check_all("long broken chain", &src);
    let src = format!("x: 1{}", " + 1".repeat(2000));
    match format_source(FILE, &src) {
        Ok(out) => assert_eq!(fmt(&out), out),
        Err(e) => assert!(!e.is_empty()),
    }
    let src = format!("x: {}{{ 0 }}", "if c { 1 } else ".repeat(500));
    check_all("else-if chain", &src);
    let mut src = String::from("x: ");
    for _ in 0..200 {
        src.push_str("[\n");
    }
    src.push('1');
    for _ in 0..200 {
        src.push_str("\n]");
    }
    check_all("deep broken lists", &src);
}

#[test]
fn deep_nesting_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            // Only the formatter runs here: the test's own helpers (`Debug` of the AST) recurse.
            for src in [
                format!("x: {}1{}", "[".repeat(200), "]".repeat(200)),
                format!("x: 1{}", " + 1".repeat(900)),
                format!("x: {}{{ 0 }}", "if c { 1 } else ".repeat(500)),
            ] {
                let once = format_source(FILE, &src).unwrap_or_default();
                let twice = format_source(FILE, &once).unwrap_or_default();
                assert!(!once.is_empty() && once == twice);
            }
        });
    assert!(handle.is_ok_and(|h| h.join().is_ok()));
}

// ---------------------------------------------------------------------------------------------
// Every Cairn file of the repository

fn cairn_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            cairn_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "cairn") {
            out.push(path);
        }
    }
}

fn repository_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/corpus", "examples", "stdlib", "benches"] {
        cairn_files(&root.join(dir), &mut files);
    }
    files
}

/// Every `.cairn` file of the repository that parses: idempotent, same AST, same comments, and
/// (for the evaluation corpus) the same result. `CAIRN_FMT_DUMP=DIR` writes the formatted files
/// under `DIR`, to review the layout.
#[test]
fn repository_files_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dump = std::env::var_os("CAIRN_FMT_DUMP").map(PathBuf::from);
    let mut formatted = 0;
    let mut evaluated = 0;
    let mut skipped = Vec::new();
    for path in repository_files() {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(src) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !crate::syntax::parse(FILE, &src).errors.is_empty() {
            skipped.push(name);
            continue;
        }
        let out = check_all(&name, &src);
        formatted += 1;
        if let Some(dir) = &dump {
            let target = dir.join(&name);
            if let Some(parent) = target.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(target, &out);
        }
        let evaluable = (name.starts_with("tests/corpus/eval/")
            || name.starts_with("tests/corpus/types/"))
            && !src.contains("// expect:")
            && !src.lines().any(|l| l.trim_start().starts_with("import"));
        if evaluable {
            same_evaluation(&name, &src, &out);
            evaluated += 1;
        }
    }
    eprintln!(
        "formatted {formatted} files ({evaluated} evaluated); skipped {} with syntax errors",
        skipped.len()
    );
    assert!(formatted >= 250, "only {formatted} files formatted");
    assert!(evaluated >= 60, "only {evaluated} files evaluated");
}

fn same_evaluation(name: &str, before: &str, after: &str) {
    let eval = |text: &str| {
        crate::Engine::with_loader(crate::MemoryLoader::new()).evaluate_str("main.cairn", text)
    };
    let a = eval(before);
    let b = eval(after);
    assert!(a.document == b.document, "{name}: the document changed");
    assert_eq!(
        a.resources.len(),
        b.resources.len(),
        "{name}: resources changed"
    );
    for (x, y) in a.resources.iter().zip(&b.resources) {
        assert!(
            x.body == y.body,
            "{name}: the body of {} changed",
            x.address()
        );
        assert_eq!(x.address(), y.address(), "{name}");
    }
    let codes = |o: &crate::Outcome| -> Vec<String> {
        o.diagnostics
            .iter()
            .map(|d| format!("{:?} {}", d.code, d.message))
            .collect()
    };
    assert_eq!(codes(&a), codes(&b), "{name}: diagnostics changed");
}

/// `src` with every run of white space between tokens replaced by a pseudo-random run (a space,
/// line breaks, blank lines): the same program, laid out badly.
fn respace(src: &str, seed: u64) -> String {
    const RUNS: &[&str] = &[" ", "\n", "  ", "\n\n\n", " \n    ", "\n\n", "\t"];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut pick = |need_newline: bool| loop {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let run = RUNS[((state >> 33) as usize) % RUNS.len()];
        if !need_newline || run.starts_with('\n') {
            return run;
        }
    };
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    let mut after_line_comment = false;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            let start = i;
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            let had_newline = src[start..i].contains('\n');
            out.push_str(pick(after_line_comment && had_newline));
            after_line_comment = false;
            continue;
        }
        after_line_comment = false;
        let end = if c == b'"' {
            string_end(src, i)
        } else if src[i..].starts_with("//") {
            after_line_comment = true;
            src[i..].find('\n').map_or(b.len(), |n| i + n)
        } else if src[i..].starts_with("/*") {
            block_comment_end(src, i)
        } else {
            i + src[i..].chars().next().map_or(1, char::len_utf8)
        };
        out.push_str(&src[i..end]);
        i = end;
    }
    out
}

fn string_end(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let multi = b[start..].starts_with(b"\"\"\"");
    let mut i = start + if multi { 3 } else { 1 };
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
        } else if b[i..].starts_with(b"${") {
            i = interpolation_end(src, i + 2);
        } else if multi && b[i..].starts_with(b"\"\"\"") {
            return i + 3;
        } else if !multi && b[i] == b'"' {
            return i + 1;
        } else {
            i += 1;
        }
    }
    b.len()
}

fn interpolation_end(src: &str, mut i: usize) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => i = string_end(src, i),
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return i + 1,
            b'}' => {
                depth -= 1;
                i += 1;
            }
            b'/' if b[i..].starts_with(b"/*") => i = block_comment_end(src, i),
            _ => i += 1,
        }
    }
    b.len()
}

fn block_comment_end(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    src.len()
}

#[test]
fn badly_laid_out_repository_files_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for (n, path) in repository_files().iter().enumerate() {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(src) = std::fs::read_to_string(path) else {
            continue;
        };
        if src.len() > 50_000 || !crate::syntax::parse(FILE, &src).errors.is_empty() {
            continue;
        }
        let canonical = fmt(&src);
        for seed in 0..3 {
            let variant = respace(&src, (n * 7 + seed) as u64);
            assert_eq!(
                ast_without_spans(&variant),
                ast_without_spans(&src),
                "{name}: respacing changed the program"
            );
            let out = check_all(&format!("{name} (respaced, seed {seed})"), &variant);
            // One-line constructs broken over lines stay broken; nothing else may differ from
            // the canonical form of the original but line breaks.
            let squash = |s: &str| -> String {
                s.chars()
                    .filter(|c| !c.is_whitespace() && *c != ',')
                    .collect()
            };
            if !src.contains("\"\"\"") {
                assert_eq!(
                    squash(&out),
                    squash(&canonical),
                    "{name}: seed {seed}: tokens differ"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 500, "only {checked} variants");
}

#[test]
fn documentation_examples_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    let mut checked = 0;
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut block: Option<String> = None;
        for line in text.lines() {
            match &mut block {
                None if line.starts_with("```cairn") => block = Some(String::new()),
                Some(code) if line.starts_with("```") => {
                    if crate::syntax::parse(FILE, code).errors.is_empty() {
                        check_all(&format!("{}: {code}", path.display()), code);
                        checked += 1;
                    }
                    block = None;
                }
                Some(code) => {
                    code.push_str(line);
                    code.push('\n');
                }
                None => {}
            }
        }
    }
    assert!(checked >= 20, "only {checked} examples");
}

//! The plugin manifest: the `cairn.manifest` custom section of a `.wasm` file.
//!
//! One file carries everything: the code and, in a custom section, what Cairn needs to know
//! before running any of it. The manifest is UTF-8 text, one declaration a line:
//!
//! ```text
//! abi 1
//! name semver
//! /// Bumps one part of a version.
//! fn bump(version: String, part: "major" | "minor" | "patch") -> String
//! policy pinned_images
//! ```
//!
//! Signatures are Cairn syntax, parsed by Cairn's own parser: the manifest becomes the source
//! of a small module ([`Manifest::source`]) whose functions the checker types like any other,
//! so a call with a wrong argument is reported at the argument with the manifest's signature
//! labelled. Blank lines and `#` comments are skipped; `///` lines document the next
//! declaration.

use super::abi;

/// The name of the custom section that holds the manifest.
pub const SECTION: &str = "cairn.manifest";

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub abi: u32,
    pub functions: Vec<Function>,
    pub policies: Vec<String>,
    /// The manifest text as Cairn source: each `fn` line a function declaration (with a
    /// placeholder body that is never evaluated), every other line a comment, so line numbers
    /// stay those of the manifest.
    pub source: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    /// The line as written (`fn bump(version: String) -> String`), for messages.
    pub signature: String,
}

/// A problem with the manifest: what, and on which line (1-based) if any.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub line: Option<usize>,
    pub why: String,
    /// The manifest claims an ABI version this host does not speak.
    pub wrong_abi: Option<u32>,
}

impl Problem {
    fn at(line: usize, why: impl Into<String>) -> Problem {
        Problem {
            line: Some(line),
            why: why.into(),
            wrong_abi: None,
        }
    }
}

/// Finds the manifest section in a WebAssembly binary. Only the section framing is read here;
/// wasmtime validates the module itself when it compiles it.
pub fn find_section(wasm: &[u8]) -> Result<Option<&[u8]>, String> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err("it is not a WebAssembly module (no `\\0asm` header)".into());
    }
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb_u32(wasm, &mut at).ok_or("a section size is malformed")? as usize;
        let end = at
            .checked_add(size)
            .filter(|&e| e <= wasm.len())
            .ok_or("a section runs past the end of the file")?;
        if id == 0 {
            let mut p = at;
            let n = leb_u32(wasm, &mut p).ok_or("a custom section name is malformed")? as usize;
            let name = p
                .checked_add(n)
                .filter(|&e| e <= end)
                .and_then(|e| wasm.get(p..e))
                .ok_or("a custom section name runs past its section")?;
            if name == SECTION.as_bytes() {
                return Ok(wasm.get(p + n..end));
            }
        }
        at = end;
    }
    Ok(None)
}

fn leb_u32(b: &[u8], at: &mut usize) -> Option<u32> {
    let mut result: u64 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return u32::try_from(result).ok();
        }
    }
    None
}

/// Reads a manifest's text. Signatures are only split off here; the linker parses them.
pub fn parse(text: &str) -> Result<Manifest, Problem> {
    let mut name = None;
    let mut abi_version = None;
    let mut functions: Vec<Function> = Vec::new();
    let mut policies: Vec<String> = Vec::new();
    // One line of source per line of the manifest.
    let mut lines: Vec<String> = Vec::new();
    // `///` lines waiting for the declaration they document.
    let mut docs: Vec<usize> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match word {
            "" => lines.push(String::new()),
            _ if line.starts_with("///") => {
                docs.push(lines.len());
                lines.push(line.to_string());
                continue;
            }
            _ if line.starts_with('#') => lines.push(format!("//{line}")),
            "abi" => {
                let v: u32 = rest
                    .parse()
                    .map_err(|_| Problem::at(n, format!("`abi {rest}` is not a version number")))?;
                if v != abi::VERSION {
                    return Err(Problem {
                        line: Some(n),
                        why: format!(
                            "it was built for plugin ABI version {v}, and this Cairn speaks version {}",
                            abi::VERSION
                        ),
                        wrong_abi: Some(v),
                    });
                }
                abi_version = Some(v);
                lines.push(format!("// {line}"));
            }
            "name" => {
                if !crate::importers::is_ident(rest) {
                    return Err(Problem::at(
                        n,
                        format!("`{rest}` is not a valid plugin name"),
                    ));
                }
                name = Some(rest.to_string());
                lines.push(format!("// {line}"));
            }
            "fn" => {
                let fname = rest.split('(').next().unwrap_or_default().trim();
                if !crate::importers::is_ident(fname) || !rest.contains('(') {
                    return Err(Problem::at(
                        n,
                        "a function is declared as `fn name(param: Type, ...) -> Type`",
                    ));
                }
                if functions.iter().any(|f| f.name == fname) || policies.iter().any(|p| p == fname)
                {
                    return Err(Problem::at(n, format!("`{fname}` is declared twice")));
                }
                functions.push(Function {
                    name: fname.to_string(),
                    signature: line.to_string(),
                });
                // `null` is a placeholder: the checker does not check the bodies of plugin
                // functions, and the evaluator calls the plugin instead.
                lines.push(format!("{line} = null"));
                docs.clear();
            }
            "policy" => {
                if !crate::importers::is_ident(rest) {
                    return Err(Problem::at(n, "a policy is declared as `policy name`"));
                }
                if functions.iter().any(|f| f.name == rest) || policies.iter().any(|p| p == rest) {
                    return Err(Problem::at(n, format!("`{rest}` is declared twice")));
                }
                policies.push(rest.to_string());
                lines.push(format!("// {line}"));
            }
            other => {
                return Err(Problem::at(
                    n,
                    format!(
                        "unknown declaration `{other}`: a manifest has `abi`, `name`, `fn` and `policy` lines"
                    ),
                ));
            }
        }
        // Docs of anything but a function are not Cairn doc comments.
        for &d in &docs {
            lines[d] = format!("// {}", lines[d].trim_start_matches('/').trim());
        }
        docs.clear();
    }
    let abi = abi_version.ok_or(Problem {
        line: None,
        why: "it has no `abi` line".into(),
        wrong_abi: None,
    })?;
    let name = name.ok_or(Problem {
        line: None,
        why: "it has no `name` line".into(),
        wrong_abi: None,
    })?;
    for &d in &docs {
        lines[d] = format!("// {}", lines[d].trim_start_matches('/').trim());
    }
    let mut source = lines.join("\n");
    source.push('\n');
    Ok(Manifest {
        name,
        abi,
        functions,
        policies,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_becomes_cairn_source_line_for_line() {
        let m = parse(
            "abi 1\nname semver\n\n/// Bumps.\nfn bump(v: String, part: \"minor\" | \"major\") -> String\n/// Pins.\npolicy pinned\n",
        )
        .expect("valid");
        assert_eq!(m.name, "semver");
        assert_eq!(m.functions[0].name, "bump");
        assert_eq!(m.policies, ["pinned"]);
        assert_eq!(
            m.source,
            "// abi 1\n// name semver\n\n/// Bumps.\nfn bump(v: String, part: \"minor\" | \"major\") -> String = null\n// Pins.\n// policy pinned\n"
        );
    }

    #[test]
    fn problems_name_their_line() {
        let p = parse("abi 2\nname x\n").expect_err("wrong abi");
        assert_eq!((p.line, p.wrong_abi), (Some(1), Some(2)));
        let p = parse("abi 1\nname x\nfunction f()\n").expect_err("unknown");
        assert_eq!(p.line, Some(3));
        assert!(
            parse("name x\n")
                .expect_err("no abi")
                .why
                .contains("no `abi`")
        );
        let p = parse("abi 1\nname x\nfn f(a: Int) -> Int\nfn f(a: Int) -> Int\n");
        assert!(p.expect_err("twice").why.contains("twice"));
    }

    #[test]
    fn the_section_is_found_among_others() {
        // Header, a custom section "other", then `cairn.manifest`.
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([0, 7, 5]);
        wasm.extend(b"other\x01");
        let payload = b"abi 1";
        wasm.extend([
            0,
            (1 + SECTION.len() + payload.len()) as u8,
            SECTION.len() as u8,
        ]);
        wasm.extend(SECTION.as_bytes());
        wasm.extend(payload);
        assert_eq!(find_section(&wasm), Ok(Some(&payload[..])));
        assert!(find_section(b"\0asm\x01\0\0\0\x00\x7f").is_err());
        assert!(find_section(b"not wasm").is_err());
    }
}

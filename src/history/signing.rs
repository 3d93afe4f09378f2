//! Commit signatures, verified as Git verifies SSH signatures: `ssh-keygen -Y find-principals`
//! names who the allowed signers file says made the signature, then `ssh-keygen -Y verify`
//! checks it over the signed bytes in the `git` namespace at the commit's time (so a key's
//! `valid-after`/`valid-before` options apply). GPG and X.509 signatures are not verified:
//! under `--require-signed` such a commit is refused with a message saying so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Commit, Error, Repo};

/// The kind of a commit's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureKind {
    Ssh,
    Gpg,
    X509,
    Unknown,
}

impl SignatureKind {
    fn of(armor: &str) -> SignatureKind {
        let armor = armor.trim_start();
        if armor.starts_with("-----BEGIN SSH SIGNATURE-----") {
            SignatureKind::Ssh
        } else if armor.starts_with("-----BEGIN PGP SIGNATURE-----") {
            SignatureKind::Gpg
        } else if armor.starts_with("-----BEGIN SIGNED MESSAGE-----") {
            SignatureKind::X509
        } else {
            SignatureKind::Unknown
        }
    }
}

/// The verdict on one commit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignatureCheck {
    pub commit: Commit,
    /// The principal (from the allowed signers file) whose key made a valid signature, or why
    /// the commit is refused.
    pub signer: Result<String, String>,
}

/// Checks every commit of `commits` against the allowed signers file `allowed`.
pub fn verify_range(
    repo: &Repo,
    commits: &[Commit],
    allowed: &Path,
) -> Result<Vec<SignatureCheck>, Error> {
    let mut out = Vec::new();
    for c in commits {
        let signer = match repo.signature(&c.id)? {
            None => Err("not signed".to_string()),
            Some((armor, payload)) => match SignatureKind::of(&armor) {
                SignatureKind::Ssh => verify_ssh(&armor, &payload, allowed, c.time),
                SignatureKind::Gpg => Err(
                    "signed with GPG, which Cairn does not verify: sign commits with SSH keys (`git config gpg.format ssh`)"
                        .into(),
                ),
                SignatureKind::X509 => Err("signed with X.509, which Cairn does not verify".into()),
                SignatureKind::Unknown => Err("signed in a format Cairn does not know".into()),
            },
        };
        out.push(SignatureCheck {
            commit: c.clone(),
            signer,
        });
    }
    Ok(out)
}

/// A file in the temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &[u8]) -> std::io::Result<TempFile> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "cairn-sig-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&path, contents)?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `YYYYMMDDHHMMSS` (UTC) for `ssh-keygen -Overify-time`.
fn verify_time(seconds: i64) -> String {
    let day = super::date(seconds).replace('-', "");
    let s = seconds.rem_euclid(86_400);
    format!("{day}{:02}{:02}{:02}Z", s / 3600, (s / 60) % 60, s % 60)
}

fn verify_ssh(armor: &str, payload: &[u8], allowed: &Path, time: i64) -> Result<String, String> {
    if !allowed.is_file() {
        return Err(format!(
            "the allowed signers file {} does not exist",
            allowed.display()
        ));
    }
    let sig = TempFile::new(armor.as_bytes()).map_err(|e| format!("cannot write: {e}"))?;
    let run = |args: &[&str], input: Option<&[u8]>| -> Result<(bool, String, String), String> {
        let mut child = Command::new("ssh-keygen")
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("cannot run ssh-keygen, which verifies SSH signatures as Git does: {e}")
            })?;
        if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
            let _ = stdin.write_all(data);
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    };
    let allowed_s = allowed.to_string_lossy().to_string();
    let sig_s = sig.0.to_string_lossy().to_string();
    let when = format!("verify-time={}", verify_time(time));
    let (ok, principals, _) = run(
        &[
            "-Y",
            "find-principals",
            "-f",
            &allowed_s,
            "-s",
            &sig_s,
            "-O",
            &when,
        ],
        None,
    )?;
    if !ok || principals.is_empty() {
        return Err("signed by a key that is not in the allowed signers file".into());
    }
    let mut last = String::new();
    for principal in principals.lines() {
        let (ok, _, err) = run(
            &[
                "-Y", "verify", "-f", &allowed_s, "-I", principal, "-n", "git", "-s", &sig_s, "-O",
                &when,
            ],
            Some(payload),
        )?;
        if ok {
            return Ok(principal.to_string());
        }
        last = err;
    }
    Err(format!(
        "the signature does not verify{}",
        if last.is_empty() {
            String::new()
        } else {
            format!(": {}", last.lines().next().unwrap_or_default())
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_armor() {
        assert_eq!(
            SignatureKind::of("-----BEGIN SSH SIGNATURE-----\n"),
            SignatureKind::Ssh
        );
        assert_eq!(
            SignatureKind::of("-----BEGIN PGP SIGNATURE-----\n"),
            SignatureKind::Gpg
        );
        assert_eq!(SignatureKind::of("junk"), SignatureKind::Unknown);
    }

    #[test]
    fn verify_time_is_utc() {
        assert_eq!(verify_time(0), "19700101000000Z");
        assert_eq!(verify_time(1_795_000_000), "20261118110640Z");
    }
}

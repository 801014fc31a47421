//! The TLS files, checked before connecting: a file that holds no
//! certificate (or no key) is the operator's to fix, not the server's fault,
//! and the driver would only say "BadEncoding" about it.

use super::settings::Tls;
use anyhow::{bail, Context, Result};
use std::path::Path;

pub fn check(tls: &Tls) -> Result<()> {
    if let Some(ca) = &tls.ca {
        certificates(ca, "--ssl-ca")?;
    }
    if let Some(client) = &tls.client {
        certificates(&client.cert, "--ssl-cert")?;
        key(&client.key)?;
    }
    Ok(())
}

fn read(path: &Path, option: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{option} {}: cannot read it", path.display()))
}

fn certificates(path: &Path, option: &str) -> Result<()> {
    let bytes = read(path, option)?;
    let found = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map(|certs| !certs.is_empty());
    if found.unwrap_or(false) {
        return Ok(());
    }
    bail!("{option} {}: no PEM certificate in it", path.display())
}

fn key(path: &Path) -> Result<()> {
    let bytes = read(path, "--ssl-key")?;
    match rustls_pemfile::private_key(&mut bytes.as_slice()) {
        Ok(Some(_)) => Ok(()),
        _ => bail!("--ssl-key {}: no PEM private key in it", path.display()),
    }
}

//! The server's errors in words: a failure of the session, or of one table.

use crate::config::Server;
use crate::plugin::Failure;
use std::time::Duration;

/// Connection failures are CRITICAL: the guidelines treat a server that
/// cannot be reached as a problem, not as a missing verdict.
pub(super) fn connect_failure(server: &Server, e: mysql::Error) -> Failure {
    use mysql::DriverError as D;
    let why = match &e {
        mysql::Error::MySqlError(m) => m.message.clone(),
        // A refused certificate, not a stranger to MySQL.
        _ if let Some(tls) = rustls_error(&e) => tls_message(tls),
        // A service of another kind (an SSH banner, say): its first bytes
        // do not make a MySQL handshake.
        mysql::Error::CodecError(_)
        | mysql::Error::DriverError(
            D::UnsupportedProtocol(_)
            | D::PacketOutOfSync
            | D::PacketTooLarge
            | D::Protocol41NotSet
            | D::UnexpectedPacket
            | D::CouldNotParseVersion,
        ) => "it did not answer as a MySQL/MariaDB server".to_string(),
        mysql::Error::DriverError(D::UnknownAuthPlugin(name)) => {
            format!("it asks for the authentication method {name}, which the plugin cannot use")
        }
        other => mysql_message(other),
    };
    Failure::critical(format!("cannot connect to {server}: {why}"))
}

/// Errors about one table (privilege, missing, crashed or discarded table)
/// rather than about the session: the rest of the run goes on.
pub(super) fn is_table_error(e: &mysql::Error) -> bool {
    match e {
        // Session-level: interrupted or killed (1317, 1927), statement time
        // limit (1969 MariaDB, 3024 MySQL), server gone (2006, 2013).
        mysql::Error::MySqlError(m) => !matches!(m.code, 1317 | 1927 | 1969 | 3024 | 2006 | 2013),
        _ => false,
    }
}

/// The server stopped a statement that ran for `ran` at the time limit
/// it carried, `limit` (1969 MariaDB, 3024 MySQL; MySQL says 1317,
/// interrupted, when its timer fires at some stages of a statement, as a
/// KILL would: taken as the limit once the limit has passed).
pub(super) fn stopped_at_limit(e: &mysql::Error, ran: Duration, limit: Duration) -> bool {
    match e {
        mysql::Error::MySqlError(m) => match m.code {
            1969 | 3024 => true,
            1317 => ran >= limit,
            _ => false,
        },
        _ => false,
    }
}

/// One readable line: the driver's Display of some errors is their Debug
/// form ("CodecError { ... }", "TlsError { ... }").
pub(crate) fn mysql_message(e: &mysql::Error) -> String {
    if let Some(tls) = rustls_error(e) {
        return tls_message(tls);
    }
    match e {
        mysql::Error::MySqlError(m) => format!("{} (error {})", m.message, m.code),
        mysql::Error::IoError(io) => io.to_string(),
        mysql::Error::CodecError(c) => c.to_string().replace(['`', '\''], ""),
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, why, _)))) => {
            why.clone()
        }
        mysql::Error::DriverError(d) => d.to_string(),
        mysql::Error::TlsError(t) => format!("TLS failed: {t}"),
        mysql::Error::UrlError(u) => u.to_string(),
        mysql::Error::FromValueError(_) | mysql::Error::FromRowError(_) => {
            "an answer of an unexpected type".to_string()
        }
    }
}

/// The rustls error behind a driver error, wherever the driver put it: in
/// its TLS error, or inside the I/O error of a failed handshake. (The
/// driver's error gives no `source()`, so each place is looked at.)
pub(super) fn rustls_error(e: &mysql::Error) -> Option<&rustls::Error> {
    use std::error::Error;
    fn in_io(io: &std::io::Error) -> Option<&rustls::Error> {
        io.get_ref()?.downcast_ref::<rustls::Error>()
    }
    match e {
        mysql::Error::IoError(io) => in_io(io),
        mysql::Error::CodecError(c) => in_io(c.source()?.downcast_ref::<std::io::Error>()?),
        mysql::Error::TlsError(t) => t.source()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// A TLS failure in words.
pub(super) fn tls_message(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = e else {
        return format!("TLS failed: {e}");
    };
    let why = match c {
        C::UnknownIssuer => "it is not signed by a CA of --ssl-ca",
        C::BadEncoding => "it cannot be decoded",
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet",
        C::NotValidForName | C::NotValidForNameContext { .. } => "it does not name this host",
        C::Revoked => "it is revoked",
        C::BadSignature => "its signature is wrong",
        _ => "it was not accepted",
    };
    format!("TLS: the server's certificate was refused: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: u16) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "HY000".into(),
            message: "stopped".into(),
            code,
        })
    }

    #[test]
    fn a_statement_stopped_at_its_limit_is_told_from_a_kill() {
        let (short, limit) = (Duration::from_millis(5), Duration::from_millis(10));
        assert!(stopped_at_limit(&error(1969), short, limit));
        assert!(stopped_at_limit(&error(3024), short, limit));
        // Interrupted: the limit only once it has passed, else a KILL.
        assert!(stopped_at_limit(&error(1317), limit, limit));
        assert!(!stopped_at_limit(&error(1317), short, limit));
        assert!(!stopped_at_limit(&error(1146), limit, limit));
    }
}

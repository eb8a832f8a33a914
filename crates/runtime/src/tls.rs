//! OpenFlow over TLS, as FAUCET offers it (`--ctl-privkey`, `--ctl-cert`, `--ca-certs`): the
//! controller presents its certificate, and with a CA given, a switch must present a
//! certificate that CA signed or it is refused.
//!
//! The connection code works on sockets it can poll for readiness (see `switch::Stream`), so
//! a TLS connection is terminated in a task of its own, which carries the plain bytes to the
//! connection over a local socket pair: one extra copy, for TLS connections only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

/// Where the controller's key and certificate, and the switches' CA, are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The controller's private key (PEM).
    pub key: PathBuf,
    /// The controller's certificate chain (PEM).
    pub cert: PathBuf,
    /// CA certificates (PEM) that switch certificates must chain to; without it, switches
    /// are not asked for a certificate.
    pub ca: Option<PathBuf>,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no usable PEM item.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// rustls refused the combination.
    #[error("TLS configuration: {0}")]
    Config(String),
}

fn file_error(path: &Path, why: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

/// Builds the acceptor for these files.
///
/// # Errors
/// [`TlsError`] if a file is unreadable or the key does not match the certificate.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_error(&files.cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(&files.cert, e))?;
    if certs.is_empty() {
        return Err(file_error(&files.cert, "no certificate in it"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_error(&files.key, e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &files.ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca).map_err(|e| file_error(ca, e))? {
                roots
                    .add(cert.map_err(|e| file_error(ca, e))?)
                    .map_err(|e| file_error(ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Completes the TLS handshake on `tcp` (within `timeout`), then returns a local socket
/// carrying the connection's plain bytes; a task copies between the two until either closes.
pub(crate) async fn terminate(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    timeout: Duration,
) -> io::Result<UnixStream> {
    let mut tls = tokio::time::timeout(timeout, acceptor.accept(tcp))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    let (mut outer, inner) = UnixStream::pair()?;
    tokio::spawn(async move {
        let _ = tokio::io::copy_bidirectional(&mut tls, &mut outer).await;
    });
    Ok(inner)
}

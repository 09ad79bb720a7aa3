//! TLS for the server: rustls with the ring provider, the certificate
//! chain and key read from PEM files once, when the server is bound.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsFiles;
use crate::error::{Error, Result};

/// The rustls configuration serving `files`' certificate.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the file when the chain or the key
/// cannot be read or parsed, or the key does not fit the certificate.
pub(super) fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>> {
    let bad = |what: &std::path::Path, why: String| {
        Error::InvalidArgument(format!("TLS file {}: {why}", what.display()))
    };
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(&files.cert, "no certificate in it".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, e.to_string()))?;
    #[allow(
        deprecated,
        reason = "ring builds without cmake; its key exchanges (X25519, P-256, P-384) lack only the post-quantum hybrid, which would need aws-lc-rs"
    )]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(&files.key, e.to_string()))?;
    Ok(Arc::new(config))
}

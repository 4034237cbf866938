//! `_SUCCESS` markers: the signal a producer (or Steward on its behalf) leaves
//! next to a refreshed dataset, and that consumers' pipelines wait for.
//!
//! They go through `object_store` so that the embedded default (a directory on
//! local disk, laid out as `<root>/<bucket>/<key>/_SUCCESS`) and production
//! (S3) share one code path. Marker URIs are always reported as
//! `s3://bucket/key/_SUCCESS`, the name consumers know, whichever store holds it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::AwsSettings;
use crate::error::AwsError;

const MARKER: &str = "_SUCCESS";

/// Where markers are written.
#[derive(Debug)]
enum Backend {
    Local(PathBuf),
    S3 {
        // Boxed: the settings are much larger than the local variant.
        settings: Box<AwsSettings>,
        credentials: Option<(String, String)>,
        stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    },
}

/// Writes and checks `_SUCCESS` markers.
#[derive(Debug)]
pub struct Markers {
    backend: Backend,
}

impl Markers {
    /// Markers under `root`: `s3://bucket/key/` maps to `<root>/bucket/key/_SUCCESS`.
    pub fn local(root: PathBuf) -> Self {
        Markers { backend: Backend::Local(root) }
    }

    /// Markers in S3, with credentials from the environment (variables, web
    /// identity, container or instance metadata). When `s.endpoint_url` is set
    /// (moto, MinIO) requests go there, path-style, and plain HTTP is allowed.
    pub fn s3(s: &AwsSettings) -> Result<Self, AwsError> {
        Self::s3_inner(s, None)
    }

    /// Markers in S3 with static credentials (tests against moto, or keys from
    /// a secret store).
    pub fn s3_with_credentials(
        s: &AwsSettings,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Self, AwsError> {
        Self::s3_inner(s, Some((access_key_id.to_owned(), secret_access_key.to_owned())))
    }

    fn s3_inner(s: &AwsSettings, credentials: Option<(String, String)>) -> Result<Self, AwsError> {
        if s.region.is_empty() {
            return Err(AwsError::Invalid("an S3 marker store needs a region".into()));
        }
        let markers =
            Markers { backend: Backend::S3 { settings: Box::new(s.clone()), credentials, stores: Mutex::default() } };
        // Fail early on settings object_store rejects (e.g. a malformed endpoint).
        markers.store("steward-settings-check")?;
        Ok(markers)
    }

    /// The marker URI of an `s3://` location, or why it has none (not an
    /// s3:// URI, a bad bucket name or key): checked before a refresh is
    /// recorded, whichever store markers go to.
    pub fn marker_uri(location: &str) -> Result<String, AwsError> {
        marker_path(location).map(|(_, _, uri)| uri)
    }

    /// Writes a 0-byte `_SUCCESS` at `location` (`s3://bucket/key`, with or
    /// without a trailing slash) and returns the marker's URI. Rewriting an
    /// existing marker is harmless.
    pub async fn put_success(&self, location: &str) -> Result<String, AwsError> {
        let (bucket, path, uri) = marker_path(location)?;
        if let Backend::Local(root) = &self.backend {
            tokio::fs::create_dir_all(root.join(&bucket)).await.map_err(|e| {
                AwsError::Invalid(format!("cannot create marker directory under {}: {e}", root.display()))
            })?;
        }
        self.store(&bucket)?.put(&path, PutPayload::new()).await?;
        tracing::debug!(%uri, "wrote _SUCCESS marker");
        Ok(uri)
    }

    /// Is there a `_SUCCESS` marker at `location`?
    pub async fn exists(&self, location: &str) -> Result<bool, AwsError> {
        let (bucket, path, _) = marker_path(location)?;
        if let Backend::Local(root) = &self.backend
            && !tokio::fs::try_exists(root.join(&bucket)).await.unwrap_or(false)
        {
            return Ok(false);
        }
        match self.store(&bucket)?.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The store holding `bucket`.
    fn store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, AwsError> {
        match &self.backend {
            Backend::Local(root) => Ok(Arc::new(LocalFileSystem::new_with_prefix(root.join(bucket))?)),
            Backend::S3 { settings, credentials, stores } => {
                let mut stores = stores.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(store) = stores.get(bucket) {
                    return Ok(store.clone());
                }
                let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket).with_region(&settings.region);
                if let Some(url) = &settings.endpoint_url {
                    b = b
                        .with_endpoint(url)
                        .with_allow_http(url.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some((key, secret)) = credentials {
                    b = b.with_access_key_id(key).with_secret_access_key(secret);
                }
                let store: Arc<dyn ObjectStore> = Arc::new(b.build()?);
                stores.insert(bucket.to_owned(), store.clone());
                Ok(store)
            }
        }
    }
}

/// `s3://bucket/key/` as (bucket, `key/_SUCCESS` object path, marker URI).
fn marker_path(location: &str) -> Result<(String, Path, String), AwsError> {
    let rest = location
        .strip_prefix("s3://")
        .ok_or_else(|| AwsError::Invalid(format!("marker location must be an s3:// URI: {location:?}")))?;
    let rest = rest.trim_end_matches('/');
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = !bucket.is_empty()
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && bucket != "."
        && bucket != "..";
    if !valid_bucket {
        return Err(AwsError::Invalid(format!("bad bucket name in {location:?}")));
    }
    let object = if key.is_empty() { MARKER.to_owned() } else { format!("{key}/{MARKER}") };
    let path = Path::parse(&object).map_err(|e| AwsError::Invalid(format!("bad marker location {location:?}: {e}")))?;
    Ok((bucket.to_owned(), path, format!("s3://{bucket}/{object}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_map_to_marker_paths() {
        let (b, p, uri) = marker_path("s3://data/sales/orders/dt=2026-11-22/").unwrap();
        assert_eq!(b, "data");
        assert_eq!(p.as_ref(), "sales/orders/dt=2026-11-22/_SUCCESS");
        assert_eq!(uri, "s3://data/sales/orders/dt=2026-11-22/_SUCCESS");
        assert_eq!(marker_path("s3://data/x").unwrap().2, "s3://data/x/_SUCCESS");
        assert_eq!(marker_path("s3://data").unwrap().2, "s3://data/_SUCCESS");
        assert!(marker_path("/tmp/x").is_err());
        assert!(marker_path("s3://../x").is_err());
        assert!(marker_path("s3://data/a/../../etc").is_err());
        assert!(marker_path("s3://Data/x").is_err());
    }
}

//! The raw page archive: every fetched version's bytes, zstd-compressed, stored once under the
//! SHA-256 of the bytes (`raw/ab/abcdef….zst`). Written to a temporary file and renamed, so a
//! crash never leaves a half-written entry under a real name.

use std::io::Write;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

#[derive(Clone, Debug)]
pub struct RawArchive {
    dir: PathBuf,
}

impl RawArchive {
    pub fn new(dir: PathBuf) -> Self {
        RawArchive { dir }
    }

    fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(&sha[..2]).join(format!("{sha}.zst"))
    }

    fn err(&self, source: std::io::Error) -> StoreError {
        StoreError::Archive {
            path: self.dir.display().to_string(),
            source,
        }
    }

    /// Stores `bytes` (once) and returns their SHA-256 in hex.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = self.path(&sha);
        if path.exists() {
            return Ok(sha);
        }
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| self.err(e))?;
        let compressed = zstd::encode_all(bytes, 3).map_err(|e| self.err(e))?;
        let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(|e| self.err(e))?;
        f.write_all(&compressed).map_err(|e| self.err(e))?;
        f.sync_all().map_err(|e| self.err(e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.err(e))?;
        Ok(sha)
    }

    /// The bytes stored under `sha`.
    pub fn get(&self, sha: &str) -> Result<Vec<u8>> {
        if sha.len() < 3 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a sha256",
            )));
        }
        let data = std::fs::read(self.path(sha)).map_err(|e| self.err(e))?;
        zstd::decode_all(&data[..]).map_err(|e| self.err(e))
    }
}

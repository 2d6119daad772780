//! What every command needs: the loaded configuration and the resolved data directory.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// An error caused by the user's input (arguments, configuration): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Reads the configuration file's text, with an error that says what to do.
pub fn read_config_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| {
            format!(
                "cannot read the configuration {}: run yuqing from the folder that holds sources.toml or pass --config PATH",
                path.display()
            )
        })
        .map_err(|e| UsageError(format!("{e:#}")).into())
}

/// The folder relative paths in the configuration are resolved against.
pub fn config_base(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::new(),
    }
}

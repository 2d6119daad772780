//! Tidy checks on the workspace itself.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

/// Crates that must stay pure: no runtime, no network, no database.
const PURE: [&str; 5] = [
    "yuqing-model",
    "yuqing-config",
    "yuqing-extract",
    "yuqing-text",
    "yuqing-classify",
];
const FORBIDDEN: [&str; 4] = ["tokio", "reqwest", "axum", "rusqlite"];

/// Fails when a pure crate depends, directly or through other crates (normal dependencies
/// only), on tokio, reqwest, axum or rusqlite.
#[test]
fn pure_crates_do_no_io() {
    // only this platform's packages: others need not be downloaded to be listed
    let platform = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", platform.as_str()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    // id -> ids of normal (non-dev, non-build) dependencies
    let mut deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        let normal = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap())
            .collect();
        deps.insert(id, normal);
    }
    let mut checked = 0;
    for (id, name) in &name_of {
        if !PURE.contains(name) {
            continue;
        }
        checked += 1;
        let mut seen = BTreeSet::new();
        let mut stack = vec![*id];
        while let Some(next) = stack.pop() {
            for dep in deps.get(next).into_iter().flatten() {
                if seen.insert(*dep) {
                    stack.push(dep);
                }
            }
        }
        let bad: Vec<&str> = seen
            .iter()
            .map(|d| name_of[d])
            .filter(|n| FORBIDDEN.contains(n))
            .collect();
        assert!(
            bad.is_empty(),
            "{name} must stay pure but depends on {bad:?}"
        );
    }
    assert!(
        checked >= 2,
        "the pure crates were not found in the workspace"
    );
    // only crawl opens outbound connections: no other workspace crate names reqwest directly
    for (id, name) in &name_of {
        if !name.starts_with("yuqing") || *name == "yuqing-crawl" {
            continue;
        }
        let direct: Vec<&str> = deps
            .get(id)
            .into_iter()
            .flatten()
            .map(|d| name_of[d])
            .filter(|n| *n == "reqwest")
            .collect();
        assert!(
            direct.is_empty(),
            "{name} depends on reqwest: outbound HTTP belongs to yuqing-crawl"
        );
    }
}

/// Every crate starts with a module doc saying what it owns.
#[test]
fn every_crate_has_a_module_doc() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("crates/cli/main.rs")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let lib = entry.unwrap().path().join("src/lib.rs");
        if lib.exists() {
            roots.push(lib);
        }
    }
    for path in roots {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} must start with a //! module doc",
            path.display()
        );
    }
}

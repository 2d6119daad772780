//! A small typed reader over a parsed TOML table that records every problem with its key path
//! instead of stopping at the first one, and reports keys nobody asked for.

use std::fmt::Display;

use toml::{Table, Value};

use crate::ConfigError;

/// Collects problems while the configuration is read.
#[derive(Default)]
pub(crate) struct Problems {
    pub(crate) list: Vec<ConfigError>,
}

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Display) {
        self.list.push(ConfigError {
            path: path.into(),
            message: message.to_string(),
        });
    }
}

/// A table being read, with the keys read so far.
pub(crate) struct Tbl<'a> {
    table: &'a Table,
    path: String,
    used: Vec<&'static str>,
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

impl<'a> Tbl<'a> {
    pub(crate) fn new(table: &'a Table, path: impl Into<String>) -> Self {
        Tbl {
            table,
            path: path.into(),
            used: Vec::new(),
        }
    }

    /// The full key path of `key` in this table.
    pub(crate) fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// A string value without marking the key as read (for cross-references).
    pub(crate) fn peek_string(&self, key: &str) -> Option<String> {
        self.table.get(key)?.as_str().map(|s| s.trim().to_string())
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.table.get(key)
    }

    fn wrong_type(&self, p: &mut Problems, key: &str, want: &str, got: &Value) {
        p.push(
            self.key(key),
            format!("expected {want}, found {}", type_name(got)),
        );
    }

    pub(crate) fn string(&mut self, p: &mut Problems, key: &'static str) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(p, key, "a string", other);
                None
            }
        }
    }

    /// A string that must be present and not blank.
    pub(crate) fn required_string(
        &mut self,
        p: &mut Problems,
        key: &'static str,
    ) -> Option<String> {
        let present = self.table.contains_key(key);
        match self.string(p, key) {
            Some(s) if s.trim().is_empty() => {
                p.push(self.key(key), "must not be empty");
                None
            }
            Some(s) => Some(s.trim().to_string()),
            None => {
                if !present {
                    p.push(self.key(key), "missing (required)");
                }
                None
            }
        }
    }

    /// An optional string; blank counts as absent.
    pub(crate) fn opt_string(&mut self, p: &mut Problems, key: &'static str) -> Option<String> {
        self.string(p, key)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    pub(crate) fn int(
        &mut self,
        p: &mut Problems,
        key: &'static str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        match self.raw(key)? {
            Value::Integer(i) if (min..=max).contains(i) => Some(*i),
            Value::Integer(i) => {
                p.push(
                    self.key(key),
                    format!("{i} is out of range (allowed {min}..={max})"),
                );
                None
            }
            other => {
                self.wrong_type(p, key, "an integer", other);
                None
            }
        }
    }

    /// A number (integer or float) within `min..=max`.
    pub(crate) fn float(
        &mut self,
        p: &mut Problems,
        key: &'static str,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let v = match self.raw(key)? {
            Value::Float(f) => *f,
            Value::Integer(i) => *i as f64,
            other => {
                self.wrong_type(p, key, "a number", other);
                return None;
            }
        };
        if (min..=max).contains(&v) {
            Some(v)
        } else {
            p.push(
                self.key(key),
                format!("{v} is out of range (allowed {min}..={max})"),
            );
            None
        }
    }

    pub(crate) fn bool(&mut self, p: &mut Problems, key: &'static str) -> Option<bool> {
        match self.raw(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(p, key, "true or false", other);
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub(crate) fn strings(&mut self, p: &mut Problems, key: &'static str) -> Option<Vec<String>> {
        match self.raw(key)? {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => p.push(
                            format!("{}[{i}]", self.key(key)),
                            format!("expected a string, found {}", type_name(other)),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.wrong_type(p, key, "a list of strings", other);
                None
            }
        }
    }

    pub(crate) fn table(&mut self, p: &mut Problems, key: &'static str) -> Option<Tbl<'a>> {
        let path = self.key(key);
        match self.raw(key)? {
            Value::Table(t) => Some(Tbl::new(t, path)),
            other => {
                self.wrong_type(p, key, "a table", other);
                None
            }
        }
    }

    /// `[[key]]` entries, each with the path `key[i]`.
    pub(crate) fn tables(&mut self, p: &mut Problems, key: &'static str) -> Vec<Tbl<'a>> {
        let base = self.key(key);
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::Table(t) => Some(Tbl::new(t, format!("{base}[{i}]"))),
                    other => {
                        p.push(
                            format!("{base}[{i}]"),
                            format!("expected a table, found {}", type_name(other)),
                        );
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.wrong_type(p, key, &format!("a list of tables ([[{key}]])"), other);
                Vec::new()
            }
        }
    }

    /// The entries of a table whose keys are free (e.g. request headers).
    pub(crate) fn free_strings(
        &mut self,
        p: &mut Problems,
        key: &'static str,
    ) -> Vec<(String, String)> {
        let base = self.key(key);
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Table(t)) => t
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    other => {
                        p.push(
                            format!("{base}.{k}"),
                            format!("expected a string, found {}", type_name(other)),
                        );
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.wrong_type(p, key, "a table", other);
                Vec::new()
            }
        }
    }

    /// Reports every key of the table that was never read.
    pub(crate) fn finish(self, p: &mut Problems) {
        for key in self.table.keys() {
            if self.used.iter().any(|u| u == key) {
                continue;
            }
            let hint = closest(key, &self.used)
                .map(|k| format!(" (did you mean \"{k}\"?)"))
                .unwrap_or_default();
            let mut known: Vec<&str> = self.used.clone();
            known.sort_unstable();
            known.dedup();
            p.push(
                self.key(key),
                format!("unknown key{hint}; known keys here: {}", known.join(", ")),
            );
        }
    }
}

/// The known key nearest to `key` when it is close enough to be a typo.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggestions() {
        assert_eq!(edit_distance("dealy_ms", "delay_ms"), 2);
        assert_eq!(
            closest("dealy_ms", &["delay_ms", "timeout_s"]),
            Some("delay_ms")
        );
        assert_eq!(closest("zzz", &["delay_ms"]), None);
    }
}

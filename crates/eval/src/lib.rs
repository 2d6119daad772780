//! Evaluations of yuqing's judgements against hand-made gold.
//!
//! - [`gold`]: gold files for the typical tags, either with the text inline (the shared
//!   `typical-dev.jsonl`) or as labels plus references into `../shared/corpus` (the team's own
//!   gold under `gold/typical/`), resolved and checked against a hash at read time;
//! - [`classify`]: k-fold and leave-one-source-out scoring of the typical-tags model, the
//!   learning curve, and the floors that `.ci/run` holds the model to.
//!
//! Reading the corpus is the only I/O here; nothing is written.

pub mod classify;
pub mod gold;

//! Domain types shared by every yuqing crate: units, sources, topics, the typical tags.
//!
//! This crate owns plain data and the small grammars that belong to it (the topic rule
//! language). It does no I/O, holds no clients and knows nothing of HTTP, SQLite or tantivy.

pub mod alert;
pub mod csv;
pub mod html;
pub mod source;
pub mod tag;
pub mod topic;
pub mod unit;

pub use alert::{AlertKind, AlertRule, Channel, ChannelKind, QuietHours, Watch};
pub use source::{JsonList, ListMode, Selectors, Source, SourceKind, WechatAccount};
pub use tag::Tag;
pub use topic::{Atom, Expr, ExprError, Topic, TopicRule};
pub use unit::{Unit, UnitKind};

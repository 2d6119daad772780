//! List pages (to be filled).

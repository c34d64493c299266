//! The metrics exposition (filled in below).

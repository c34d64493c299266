//! Planning before anything runs: tag selection and the checks that refuse a bad repository
//! before any host is touched.

pub mod check;
pub mod includes;
pub mod names;
pub mod tags;
pub mod walk;

pub use tags::TagFilter;

//! Version-control modules: `git` (a checkout or bare clone kept at a version, as
//! ansible-core 2.19's `git` module keeps it, by one script of git commands on the target).

pub mod git;

//! Version-control modules: `git` (a checkout or bare clone kept at a version, as
//! ansible-core 2.19's `git` module keeps it, by one script of git commands on the target) and
//! `git_config` (`git config` settings, as community.general's module sets them).

pub mod git;
pub mod git_config;

//! Push to deploy: the git hooks, their installer, and what a deploy leaves behind.
//!
//! `git push` to a bare repository runs `hooks/post-receive`, a shim that execs
//! `playhook hook run`. That reads every pushed ref ([`run`]), matches it against the rules in
//! `playhook.yaml` ([`config`]) and the push options ([`push_options`]), takes the
//! per-environment lock ([`lock`]), checks the commit out into a temporary directory
//! ([`checkout`]) and runs `playhook deploy` on it as a child process, streaming its output to
//! the pusher and into `playhook/logs/` ([`stream`]). The outcome is recorded as a git note
//! ([`notes`]); handlers left pending by a failed run are remembered ([`pending`]); old logs
//! are removed ([`retention`]). A deploy whose hook was killed outright is recorded as
//! interrupted by the next deploy of its environment ([`running`]).
//!
//! Everything the hook keeps lives in the bare repository ([`layout`]).

pub mod checkout;
pub mod config;
pub mod deploy;
pub mod error;
pub mod install;
pub mod layout;
pub mod lock;
pub mod notes;
pub mod pending;
pub mod push_options;
pub mod retention;
pub mod run;
pub mod running;
pub mod status;
pub mod stream;
pub mod time;

pub use error::HookError;

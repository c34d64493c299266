//! Property tests feeding every parser of user- or pusher-controlled input with mutated real
//! files (tests/corpus, tests/fixtures, examples): no input may panic, hang or eat memory, and
//! every error is a message naming the file (and line where there is one).
//!
//! One module per input family; `PLAYHOOK_FUZZ_CASES` sets the budget (see `harness`).

mod harness;

mod agent;
mod config;
mod hook;
mod inventory;
mod repo;
mod secrets;
mod template;
mod yaml;

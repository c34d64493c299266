//! Network modules: `wait_for` (ports and files on the target, read with `sh` and `/proc`).

pub mod tcp;
pub mod wait_for;

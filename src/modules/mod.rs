//! Task modules, grouped by family: `files/`, `commands/`, `control/` (modules that run on the
//! controller), with room for `packages/`, `services/`, `system/`, `net/` and `containers/`.
//!
//! A module is one file: a [`Spec`] saying what it is, a `Params` struct (the only place its
//! parameter names and aliases are declared; [`params::names`] derives the accepted names from
//! it), and a `run` that turns parameters into an [`Outcome`] or a [`ModuleError`].
//! [`registry`] lists every module and resolves the names tasks use (`ansible.builtin.copy`,
//! `systemd` for `systemd_service`, ...).

pub mod commands;
pub mod containers;
pub mod contract;
pub mod control;
pub mod ctx;
pub mod files;
pub mod jobs;
pub mod net;
pub mod outcome;
pub mod packages;
pub mod params;
pub mod registry;
pub mod report;
pub mod services;
pub mod system;
pub mod vcs;

pub use contract::{Accepts, Collection, Defines, Module, ResultShow, RunsOn, Source, Spec, TypedModule};
pub use ctx::ModuleCtx;
pub use outcome::{Diff, ModuleError, Outcome};
pub use registry::{all, lookup};

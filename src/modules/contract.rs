//! The module contract: what a module declares about itself ([`Spec`]), the parameters it
//! accepts ([`Accepts`], derived from its `Params` type), and how it runs ([`Module`]).
//!
//! The loader, the pre-run checks and the executor ask a module these questions instead of
//! switching on its name: whether it runs on the host or the controller, whether it takes a
//! free-form argument, which variables it defines, which controller file it reads, and how its
//! result is shown.
//!
//! Modules implement [`TypedModule`]: their arguments arrive already checked and converted into
//! their `Params` struct; [`Module`] (object-safe, what the registry holds) follows from it.

use async_trait::async_trait;
use minijinja::Value;
use serde::de::DeserializeOwned;

use super::jobs::{JobCommand, JobOutput};
use super::{ModuleCtx, ModuleError, Outcome, params};

/// Where a module does its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsOn {
    /// On the target, through its connection.
    Host,
    /// On the controller only (`debug`, `set_fact`, `assert`, `fail`): no connection is opened.
    Controller,
}

/// The Ansible collection a module belongs to, for fully qualified names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    /// `ansible.builtin.` (also `ansible.legacy.`).
    Builtin,
    /// `ansible.posix.`
    Posix,
    /// `community.general.`
    General,
    /// `community.docker.`
    Docker,
    /// `community.crypto.`
    Crypto,
}

impl Collection {
    /// The collection's name, as written before a module's short name.
    pub fn prefix(self) -> &'static str {
        match self {
            Collection::Builtin => "ansible.builtin",
            Collection::Posix => "ansible.posix",
            Collection::General => "community.general",
            Collection::Docker => "community.docker",
            Collection::Crypto => "community.crypto",
        }
    }
}

/// Variables a module defines for the tasks after it (the pre-run checks need to know).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defines {
    Nothing,
    /// Every argument key is a variable name (`set_fact`).
    ArgumentKeys,
    /// These facts, each also as a top-level variable (`package_facts` defines `packages`).
    Facts(&'static [&'static str]),
    /// One fact named `prefix` + the value of parameter `param` (`getent` defines
    /// `getent_passwd` for `database: passwd`); any name when the value is templated.
    FactNamedBy {
        prefix: &'static str,
        param: &'static str,
    },
    /// The variables of the files it loads (`include_vars`), read by the pre-run checks when
    /// the file's name is constant.
    VariablesFromFiles,
}

/// A file the module reads on the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The parameter naming it (`src`).
    pub param: &'static str,
    /// The role / playbook subdirectory searched first (`files`, `templates`).
    pub subdir: &'static str,
    /// It is a template: the pre-run checks read it for undefined names and unknown filters.
    pub template: bool,
}

/// How a module's result is shown without `-v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultShow {
    /// Only failures are shown.
    Normal,
    /// The message is the point of running the module (`assert`, `fail`): always shown.
    Message,
    /// As `Message`, and `changed`/`failed` are left out of the printed result (`debug`).
    Debug,
}

/// What a module is, declared once, as a constant, beside its code.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The short name tasks use (`copy`, `systemd_service`).
    pub name: &'static str,
    /// Other short names of the same module (`systemd` for `systemd_service`, `yum` for `dnf`).
    pub aliases: &'static [&'static str],
    pub collection: Collection,
    pub runs_on: RunsOn,
    /// Takes a free-form argument (`command: ls -l`), passed as `_raw_params`.
    pub free_form: bool,
    pub defines: Defines,
    pub source: Option<Source>,
    pub show: ResultShow,
    /// Takes `async` (Ansible's action plugin supports it): false for the modules whose
    /// ansible-core action refuses it (`copy`, `template`, `fetch`, `raw`, ...).
    pub takes_async: bool,
    /// Refuses `delegate_to` another host (checked before connecting to it): `synchronize`,
    /// whose rsync runs between the controller and the host.
    pub no_remote_delegation: bool,
    /// Only its fully qualified name reaches it: ansible-core routes no short name to it
    /// (`community.docker.docker_compose_v2`, where `docker_container` is routed).
    pub fqcn_only: bool,
}

impl Spec {
    /// A builtin module that runs on the host, with nothing special about it.
    pub const fn host(name: &'static str) -> Spec {
        Spec {
            name,
            aliases: &[],
            collection: Collection::Builtin,
            runs_on: RunsOn::Host,
            free_form: false,
            defines: Defines::Nothing,
            source: None,
            show: ResultShow::Normal,
            takes_async: true,
            no_remote_delegation: false,
            fqcn_only: false,
        }
    }

    /// Refuses `delegate_to` another host.
    pub const fn no_remote_delegation(self) -> Spec {
        Spec {
            no_remote_delegation: true,
            ..self
        }
    }

    /// Reached only by its fully qualified name.
    pub const fn fqcn_only(self) -> Spec {
        Spec {
            fqcn_only: true,
            ..self
        }
    }

    /// A builtin module that runs on the controller.
    pub const fn controller(name: &'static str) -> Spec {
        Spec {
            runs_on: RunsOn::Controller,
            ..Spec::host(name)
        }
    }

    /// Also known by these short names.
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Spec {
        Spec { aliases, ..self }
    }

    /// In this collection rather than `ansible.builtin`.
    pub const fn collection(self, collection: Collection) -> Spec {
        Spec { collection, ..self }
    }

    /// Takes a free-form argument.
    pub const fn free_form(self) -> Spec {
        Spec {
            free_form: true,
            ..self
        }
    }

    /// Defines these variables for later tasks.
    pub const fn defines(self, defines: Defines) -> Spec {
        Spec { defines, ..self }
    }

    /// Reads the controller file named by `param` from `subdir` (a template when `template`).
    pub const fn source(self, param: &'static str, subdir: &'static str, template: bool) -> Spec {
        Spec {
            source: Some(Source {
                param,
                subdir,
                template,
            }),
            ..self
        }
    }

    /// Refuses `async`, as its ansible-core action plugin does.
    pub const fn without_async(self) -> Spec {
        Spec {
            takes_async: false,
            ..self
        }
    }

    /// Shows its result this way.
    pub const fn show(self, show: ResultShow) -> Spec {
        Spec { show, ..self }
    }
}

/// The parameter names a module accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepts {
    /// Exactly these names (aliases included).
    Names(&'static [&'static str]),
    /// Any name (`set_fact`: the names are the variables to set).
    AnyName,
}

impl Accepts {
    /// Whether `key` is accepted.
    pub fn allows(self, key: &str) -> bool {
        match self {
            Accepts::Names(names) => names.contains(&key),
            Accepts::AnyName => true,
        }
    }
}

/// A task module, as the registry holds it.
#[async_trait]
pub trait Module: Send + Sync {
    fn spec(&self) -> &'static Spec;

    /// The module's short name.
    fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The parameter names it accepts (checked before any host is touched).
    fn accepts(&self) -> Accepts;

    /// Runs the module with templated arguments.
    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError>;

    /// Its work as one script to run detached as a background job (`async` with `poll: 0`),
    /// or `None` when it cannot be (then `modules::jobs` runs it to its end at once).
    fn job_command(&self, args: &Value, ctx: &ModuleCtx<'_>) -> Result<Option<JobCommand>, ModuleError>;

    /// The result of its finished detached job, as the module reports it.
    fn job_outcome(
        &self,
        args: &Value,
        ctx: &ModuleCtx<'_>,
        done: &JobOutput,
    ) -> Result<Outcome, ModuleError>;
}

/// A module with typed parameters: what each module implements.
///
/// Failures follow one convention: a module returns `Err(ModuleError)` whenever the task
/// fails — bad parameters ([`ModuleError::Params`]), the host refusing
/// ([`ModuleError::failed`], optionally with result fields such as `rc`), a controller file
/// missing, or the connection breaking — and `Ok(Outcome)` when it succeeded, changed or not.
#[async_trait]
pub trait TypedModule: Send + Sync + 'static {
    /// The parameters, a `#[serde(deny_unknown_fields)]` struct whose field names and aliases
    /// are the accepted names (or a map, for modules that take any name).
    type Params: DeserializeOwned + Send;

    const SPEC: Spec;

    async fn run(&self, params: Self::Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError>;

    /// See [`Module::job_command`]; most modules cannot run detached (the default).
    fn job_command(
        &self,
        _params: Self::Params,
        _ctx: &ModuleCtx<'_>,
    ) -> Result<Option<JobCommand>, ModuleError> {
        Ok(None)
    }

    /// See [`Module::job_outcome`]; only called for modules whose `job_command` gave a script.
    fn job_outcome(
        &self,
        _params: Self::Params,
        _ctx: &ModuleCtx<'_>,
        _done: &JobOutput,
    ) -> Result<Outcome, ModuleError> {
        Err(ModuleError::failed(format!(
            "{}: this module does not run as a detached background job",
            Self::SPEC.name
        )))
    }
}

#[async_trait]
impl<T: TypedModule> Module for T {
    fn spec(&self) -> &'static Spec {
        &T::SPEC
    }

    fn accepts(&self) -> Accepts {
        match params::names::<T::Params>() {
            Some(names) => Accepts::Names(names),
            None => Accepts::AnyName,
        }
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let params = params::parse::<T::Params>(T::SPEC.name, args)?;
        TypedModule::run(self, params, ctx).await
    }

    fn job_command(&self, args: &Value, ctx: &ModuleCtx<'_>) -> Result<Option<JobCommand>, ModuleError> {
        let params = params::parse::<T::Params>(T::SPEC.name, args)?;
        TypedModule::job_command(self, params, ctx)
    }

    fn job_outcome(
        &self,
        args: &Value,
        ctx: &ModuleCtx<'_>,
        done: &JobOutput,
    ) -> Result<Outcome, ModuleError> {
        let params = params::parse::<T::Params>(T::SPEC.name, args)?;
        TypedModule::job_outcome(self, params, ctx, done)
    }
}

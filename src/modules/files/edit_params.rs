//! The parameters every in-place editing module (`lineinfile`, `blockinfile`, `replace`) takes
//! besides its own: `backup`, `validate` and Ansible's file common arguments, declared once by
//! [`edit_params!`] and turned into [`EditOptions`] (with the refusals) by [`options`].

use super::edit::EditOptions;
use crate::modules::ModuleError;
use crate::modules::params::{ModeParam, refuse_attributes};

/// Declares a module's `Params` struct: the fields written in the macro call, then `backup`,
/// `validate`, `mode`, `owner`, `group`, `attributes` (alias `attr`), `seuser`, `serole`,
/// `setype`, `selevel`, `unsafe_writes`; and `fn edit_options(&self, module)`.
macro_rules! edit_params {
    ($(#[$attr:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$attr])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($body)*
            backup: Option<bool>,
            validate: Option<String>,
            mode: Option<$crate::modules::params::ModeParam>,
            owner: Option<String>,
            group: Option<String>,
            #[serde(alias = "attr")]
            attributes: Option<String>,
            seuser: Option<String>,
            serole: Option<String>,
            setype: Option<String>,
            selevel: Option<String>,
            unsafe_writes: Option<bool>,
        }

        impl $name {
            /// The editing options, or the refusal of a common argument playhook cannot honour.
            fn edit_options(&self, module: &str) -> Result<$crate::modules::files::edit::EditOptions, $crate::modules::ModuleError> {
                $crate::modules::files::edit_params::options(
                    module,
                    $crate::modules::files::edit_params::Common {
                        backup: self.backup,
                        validate: self.validate.as_deref(),
                        mode: self.mode.as_ref(),
                        owner: self.owner.as_deref(),
                        group: self.group.as_deref(),
                        attributes: self.attributes.as_deref(),
                        // Writes are always atomic renames; Ansible's unsafe fallback is never
                        // needed.
                        unsafe_writes: self.unsafe_writes,
                    },
                )
            }
        }
    };
}

pub(crate) use edit_params;

/// The common arguments as the macro's `edit_options` passes them.
pub struct Common<'a> {
    pub backup: Option<bool>,
    pub validate: Option<&'a str>,
    pub mode: Option<&'a ModeParam>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub attributes: Option<&'a str>,
    pub unsafe_writes: Option<bool>,
}

/// Checks the common arguments and builds the options of an edit.
pub fn options(module: &str, c: Common<'_>) -> Result<EditOptions, ModuleError> {
    let _ = c.unsafe_writes;
    refuse_attributes(module, c.attributes)?;
    if let Some(v) = c.validate {
        if !v.contains("%s") {
            return Err(ModuleError::failed(format!("validate must contain %s: {v}")));
        }
    }
    Ok(EditOptions {
        mode: c.mode.cloned(),
        owner: c.owner.map(str::to_string),
        group: c.group.map(str::to_string),
        backup: c.backup.unwrap_or(false),
        validate: c.validate.map(str::to_string),
    })
}

//! Variable files (`vars_files`, role `defaults/` and `vars/`): a YAML mapping of names to values.

use std::path::Path;

use minijinja::Value;

use crate::loc::Loc;
use crate::yaml;

use super::error::LoadError;

/// Reads a YAML mapping of variables; an empty file is an empty mapping.
pub fn load_vars_file(path: &Path) -> Result<Value, LoadError> {
    match yaml::load_file(path)? {
        None => Ok(crate::value::empty_map()),
        Some(doc) if doc.is_null() => Ok(crate::value::empty_map()),
        Some(doc) if doc.as_map().is_some() => Ok(doc.to_value()),
        Some(doc) => Err(LoadError::at(
            &Loc::new(&doc.loc.file, doc.loc.line),
            format!(
                "a variables file must be a mapping of names to values, found {}",
                doc.type_name()
            ),
        )),
    }
}

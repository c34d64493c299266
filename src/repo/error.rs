//! Errors found while reading a repository: each names the file and line it concerns.

use crate::loc::Loc;
use crate::yaml::YamlError;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{loc}: {message}")]
    At { loc: Loc, message: String },
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error("{0}")]
    Other(String),
}

impl LoadError {
    pub fn at(loc: &Loc, message: impl Into<String>) -> Self {
        LoadError::At {
            loc: loc.clone(),
            message: message.into(),
        }
    }
}

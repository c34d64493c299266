//! Source locations: the file and line an error or a task comes from.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A place in a repository file, shown to users as `path:line`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: Arc<PathBuf>,
    /// 1-based line number; 0 when the whole file is meant.
    pub line: usize,
}

impl Loc {
    pub fn new(file: &Arc<PathBuf>, line: usize) -> Self {
        Loc {
            file: Arc::clone(file),
            line,
        }
    }

    /// A location naming a whole file.
    pub fn file(path: &Path) -> Self {
        Loc {
            file: Arc::new(path.to_path_buf()),
            line: 0,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

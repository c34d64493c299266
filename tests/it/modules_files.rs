//! File primitives and file modules over a local connection, in temp dirs.

mod copy;
mod diff_headers;
mod edits;
mod file;
mod find;
mod ini_file;
mod known_hosts;
mod primitives;
mod replace;
mod results;
mod tempfile;
mod template;

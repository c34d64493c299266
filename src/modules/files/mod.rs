//! File modules: `copy`, `template`, `file`, `lineinfile`, `blockinfile`, `replace`, `find`,
//! `tempfile`, `known_hosts`, `ini_file`, `slurp`, `stat`, `unarchive`, `fetch` (to the
//! controller), `synchronize` (rsync from the controller, [`rsync_cmd`] its command line), and what they share: [`dest`] (put known content at a path: checksum compare,
//! attributes, check mode, atomic write) and [`edit`] (read–modify–write of a text file).

pub mod blockinfile;
pub mod copy;
pub mod dest;
pub mod edit;
pub mod edit_params;
pub mod fetch;
pub mod file;
pub mod find;
pub mod find_walk;
pub mod ini_file;
pub mod known_hosts;
pub mod lineinfile;
pub mod replace;
pub mod rsync_cmd;
pub mod slurp;
pub mod stat;
pub mod stat_extras;
pub mod synchronize;
pub mod tempfile;
pub mod template;
pub mod unarchive;
pub mod unarchive_zip;

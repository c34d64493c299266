//! The download and archive modules (`get_url`, `unarchive`, `uri`, `fetch`) against
//! ansible-core 2.19 on real machines, served by the test HTTP server.

mod fetch;
mod get_url;
mod unarchive;
mod uri;

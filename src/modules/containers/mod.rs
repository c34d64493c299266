//! Container modules (community.docker), driven through the `docker` CLI on the target:
//! `docker_container`, `docker_image`, `docker_network`, `docker_volume`, `docker_login` and
//! `docker_compose_v2`. `docker.rs` runs the CLI and reads `docker inspect`; `compare.rs` is the
//! collection's comparison of wanted and actual values, shared by the modules.

pub mod compare;
pub mod container_create;
pub mod container_params;
pub mod container_want;
pub mod docker;
pub mod docker_compose_v2;
pub mod docker_container;
pub mod docker_image;
pub mod docker_login;
pub mod docker_network;
pub mod docker_volume;

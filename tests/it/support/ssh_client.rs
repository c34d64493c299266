//! The client side of test hosts reached over ssh, shared by the sshd fleet and the machines: a
//! throwaway client key, a known_hosts file, an ssh_config with one `Host` alias per host, a
//! YAML inventory that ansible-playbook and playhook both read, and connection targets.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use playhook::connection::{ConnectionKind, Target};

/// One host as the client sees it.
pub struct Endpoint {
    /// Inventory name and ssh_config alias.
    pub name: String,
    pub address: String,
    pub port: u16,
    /// The host's public key file.
    pub host_key: PathBuf,
}

/// The client files of a set of hosts.
pub struct SshClient {
    client_key: PathBuf,
    known_hosts: PathBuf,
    ssh_config: PathBuf,
    inventory: PathBuf,
    inventory_text: String,
    /// (name, address, port) of every host, for targets.
    hosts: Vec<(String, String, u16)>,
}

impl SshClient {
    /// Creates the client key `dir/client_key` (before the hosts start: they need its public
    /// half) and returns its path.
    pub fn client_key_in(dir: &Path, comment: &str) -> PathBuf {
        let key = dir.join("client_key");
        keygen(&key, comment);
        key
    }

    /// Writes known_hosts, ssh_config (with `ssh_options` for every host) and an inventory of
    /// `hosts` in group `group` (with `extra_vars` lines under the group's vars) into `dir`.
    pub fn write(
        dir: &Path,
        client_key: PathBuf,
        group: &str,
        hosts: &[Endpoint],
        ssh_options: &str,
        extra_vars: &str,
    ) -> SshClient {
        let known_hosts = dir.join("known_hosts");
        let ssh_config = dir.join("ssh_config");
        let inventory = dir.join("inventory.yml");

        let mut known = String::new();
        let mut config = String::new();
        let mut inv = format!("all:\n  children:\n    {group}:\n      hosts:\n");
        for h in hosts {
            let key = fs::read_to_string(&h.host_key).expect("reading a host's public key");
            let key = key.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            let (name, address, port) = (&h.name, &h.address, h.port);
            writeln!(known, "[{address}]:{port},[{name}]:{port} {key}").expect("writing to a String");
            writeln!(
                config,
                "Host {name}\n  HostName {address}\n  Port {port}\n  User root\n"
            )
            .expect("writing to a String");
            writeln!(
                inv,
                "        {name}:\n          ansible_host: {address}\n          ansible_port: {port}"
            )
            .expect("writing to a String");
        }
        writeln!(
            config,
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  \
             GlobalKnownHostsFile /dev/null\n  BatchMode yes{ssh_options}",
            client_key.display(),
            known_hosts.display()
        )
        .expect("writing to a String");
        writeln!(
            inv,
            "      vars:\n        ansible_user: root\n        ansible_ssh_private_key_file: {}\n        \
             ansible_ssh_common_args: \"-F {}\"{extra_vars}",
            client_key.display(),
            ssh_config.display()
        )
        .expect("writing to a String");
        fs::write(&known_hosts, known).expect("writing known_hosts");
        fs::write(&ssh_config, config).expect("writing ssh_config");
        fs::write(&inventory, &inv).expect("writing the inventory");
        SshClient {
            client_key,
            known_hosts,
            ssh_config,
            inventory,
            inventory_text: inv,
            hosts: hosts
                .iter()
                .map(|h| (h.name.clone(), h.address.clone(), h.port))
                .collect(),
        }
    }

    /// The private key every host accepts for root.
    pub fn client_key(&self) -> &Path {
        &self.client_key
    }

    /// A known_hosts file with every host's key.
    pub fn known_hosts(&self) -> &Path {
        &self.known_hosts
    }

    /// An ssh_config with one `Host NAME` block per host; use it with `ssh -F`.
    pub fn ssh_config(&self) -> &Path {
        &self.ssh_config
    }

    /// `ssh -F <ssh_config>`: a command line for tools that run ssh themselves (`GIT_SSH_COMMAND`).
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.ssh_config.display())
    }

    /// The YAML inventory file.
    pub fn inventory(&self) -> &Path {
        &self.inventory
    }

    /// The inventory text: every host in the group, with `ansible_host`, `ansible_port`,
    /// `ansible_user: root`, the client key and `-F ssh_config` as common ssh args.
    pub fn inventory_yaml(&self) -> String {
        self.inventory_text.clone()
    }

    /// A connection target for host `i`, as the inventory describes it.
    pub fn target(&self, i: usize) -> Target {
        let (name, address, port) = &self.hosts[i];
        Target {
            name: name.clone(),
            kind: ConnectionKind::Ssh,
            address: address.clone(),
            port: Some(*port),
            user: Some("root".into()),
            private_key_file: Some(self.client_key.display().to_string()),
            password: None,
            ssh_args: vec!["-F".into(), self.ssh_config.display().to_string()],
            accept_new_host_keys: false,
            skip_host_key_checking: false,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A new ed25519 key pair at `path` (and `path.pub`), without a passphrase.
pub fn keygen(path: &Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("running ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets a test file's permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("setting the mode of {}: {e}", path.display()));
}

/// Whether `tool` is on the PATH.
pub fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

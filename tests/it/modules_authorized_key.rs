//! `ansible.posix.authorized_key` against the collection's module on real machines: the same
//! play run by ansible-playbook on one fresh machine and by playhook on its twin; compared:
//! every file and directory under /home and /etc/ssh/keys (path, mode, owner, group, kind, and
//! the bytes of every file), every registered result key by key; the re-run changes nothing;
//! `--check --diff` on a third machine changes nothing. Covered: several keys in one string
//! (with a comment line), the `.ssh` directory made, options and comment replacing a key,
//! absent, exclusive (comments and blank lines go too), a path of its own without a managed
//! directory, `follow` through a symlink (the managed directory is the link's, as the module
//! does it), keys from a `file://` path and from a URL (the test's HTTP server, fetched on the
//! target), and the failures: a URL not found, an unknown user, an invalid key.

use std::collections::BTreeMap;

use crate::support::http_server::HttpServer;
use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const KEY_A: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhA alice@laptop";
const KEY_B: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQPhB";
const KEY_C: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIPhC carol@desk";
const URL_KEYS: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhU1 url-one\nssh-rsa AAAAB3NzaC1yc2EPhU2 url two\n";

fn prepare() -> String {
    format!(
        "useradd -m alice && useradd -m carol && useradd -m dave && useradd -m erin \
         && install -d -m 0755 -o erin -g erin /home/erin/.ssh \
         && printf '{KEY_B}\\n{KEY_A}\\n' > /home/erin/.ssh/authorized_keys \
         && install -d -m 0755 -o carol -g carol /home/carol/.ssh \
         && printf '# old comment\\nssh-rsa AAAAB3NzaC1yc2EOld old@x\\n\\n{KEY_C}\\n' > /home/carol/.ssh/authorized_keys \
         && printf '{KEY_A}\\n' > /home/carol/real_keys && ln -s real_keys /home/carol/linked \
         && printf '{KEY_A}\\n{KEY_B} dave\\n' > /root/dave.pub"
    )
}

fn play(base: &str) -> String {
    format!(
        r#"- hosts: all
  gather_facts: false
  vars:
    key_a: "{KEY_A}"
    key_b: "{KEY_B}"
    key_c: "{KEY_C}"
  tasks:
    - name: two keys and a comment line, the directory made
      ansible.posix.authorized_key:
        user: alice
        key: "{{{{ key_a }}}}\n{{{{ key_b }}}}\n# a comment\n"
      register: r_two
    - name: options and a new comment replace a key
      authorized_key: {{user: erin, key: "{{{{ key_a }}}}", key_options: 'no-pty,from="10.0.0.1,10.0.0.2"', comment: renamed}}
      register: r_options
    - name: absent
      ansible.posix.authorized_key: {{user: erin, key: "{{{{ key_b }}}}", state: absent}}
      register: r_absent
    - name: exclusive
      ansible.posix.authorized_key: {{user: carol, key: "{{{{ key_c }}}}", exclusive: true}}
      register: r_exclusive
    - name: a path of its own, no managed directory
      ansible.posix.authorized_key: {{user: alice, key: "{{{{ key_c }}}}", path: /etc/ssh/keys/alice, manage_dir: false}}
      register: r_path
    - name: through a symlink
      ansible.posix.authorized_key: {{user: carol, key: "{{{{ key_b }}}}", path: /home/carol/linked, follow: true}}
      register: r_follow
    - name: keys from a file on the host
      ansible.posix.authorized_key: {{user: dave, key: "file:///root/dave.pub"}}
      register: r_file
    - name: keys from a URL
      ansible.posix.authorized_key: {{user: dave, key: "{base}/files/keys"}}
      register: r_url
    - name: a URL not found
      ansible.posix.authorized_key: {{user: dave, key: "{base}/files/missing"}}
      register: r_404
      ignore_errors: true
    - name: an unknown user
      ansible.posix.authorized_key: {{user: nosuchuser, key: "{{{{ key_a }}}}"}}
      register: r_nouser
      ignore_errors: true
    - name: an invalid key
      ansible.posix.authorized_key: {{user: alice, key: "not a key"}}
      register: r_invalid
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'two': r_two, 'options': r_options, 'absent': r_absent, 'exclusive': r_exclusive, 'path': r_path, 'follow': r_follow, 'file': r_file, 'url': r_url, '404': r_404, 'nouser': r_nouser, 'invalid': r_invalid}} | to_nice_json }}}}"
      when: dump | default(false) | bool
"#
    )
}

fn state(m: &Machine) -> String {
    m.ok(
        "mkdir -p /etc/ssh/keys; find /home /etc/ssh/keys -printf '%p %m %u %g %y\\n' | sort; \
          for f in $(find /home /etc/ssh/keys -type f | sort); do echo \"== $f\"; cat \"$f\"; done",
    )
}

#[test]
fn authorized_keys_end_as_the_collections_module_leaves_them() {
    let server = HttpServer::serve(BTreeMap::from([(
        "keys".to_string(),
        URL_KEYS.as_bytes().to_vec(),
    )]));
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception"],
        ..Differential::new("modules_authorized_key", play(&server.url()), state)
    }
    .start();
    trial.prepare(&prepare());
    let outcome = trial.run();
    let ours = trial.ours();
    assert_eq!(
        ours.ok(
            "cat /home/alice/.ssh/authorized_keys /home/erin/.ssh/authorized_keys; \
                 stat -c '%a %U' /home/alice/.ssh /home/alice/.ssh/authorized_keys"
        ),
        format!(
            "{KEY_A}\n{KEY_B} \nno-pty,from=\"10.0.0.1,10.0.0.2\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhA renamed\n\
             700 alice\n600 alice\n"
        )
    );
    assert_eq!(
        ours.ok("cat /home/carol/.ssh/authorized_keys"),
        format!("{KEY_C}\n")
    );
    assert_eq!(
        ours.ok("readlink /home/carol/linked; stat -c '%a %U' /home/carol"),
        "real_keys\n700 carol\n"
    );
    assert!(
        ours.ok("cat /home/dave/.ssh/authorized_keys").contains("url two"),
        "{}",
        state(ours)
    );
    assert_eq!(
        outcome.ours["404"]["msg"],
        format!("Error getting key from: {}/files/missing", server.url())
    );
    assert_eq!(
        outcome.ours["nouser"]["msg"],
        "Failed to lookup user nosuchuser: \"getpwnam(): name not found: 'nosuchuser'\""
    );
    assert_eq!(outcome.ours["invalid"]["msg"], "invalid key specified: not a key");
}

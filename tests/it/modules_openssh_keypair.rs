//! `community.crypto.openssh_keypair` against the collection's module (its ssh-keygen backend)
//! on real machines: the standard differential run (check mode on a third machine, the play
//! applied by both tools on twins, the re-run changing nothing). Compared: every key file's
//! mode, owner, group and first line, each private key's size, type and comment as `ssh-keygen
//! -l` gives them, each public key's type and comment (not the random key material); the
//! registered results key by key, the fingerprint and public key by type only (random), and
//! checked against the files on playhook's machine. Covered: new RSA (the devsec role's task),
//! ECDSA and Ed25519 keys with mode/group, a key of the wrong type regenerated, one kept by
//! `regenerate: never`, a missing public key written again with its comment, `state: absent`,
//! and the failures (`regenerate: fail` on the wrong type, a directory, a missing directory).
//! Then a key with a passphrase, by playhook only (the collection needs Python's cryptography
//! for it): the key opens with the passphrase only, the re-run keeps it, and the passphrase
//! appears nowhere in the output, even with `-vvv`.

use crate::support::machines::Machine;
use crate::support::machines::Machines;
use crate::support::oracle::{Differential, Rule, Site, machines_repo, playhook_deploy};

const PREPARE: &str = "set -e; mkdir -p /root/keys; cd /root/keys\n\
ssh-keygen -q -N '' -t rsa -b 1024 -C old -f wrongtype\n\
ssh-keygen -q -N '' -t rsa -b 1024 -C kept -f kept\n\
ssh-keygen -q -N '' -t rsa -b 1024 -C failing -f failing\n\
ssh-keygen -q -N '' -t ed25519 -C nopub -f nopub; rm nopub.pub\n\
ssh-keygen -q -N '' -t ed25519 -C gone -f gone\n\
mkdir /root/keys/adir\n";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  vars:
    ssh_host_rsa_key_size: 2048
  tasks:
    - name: the devsec role's task
      community.crypto.openssh_keypair:
        state: present
        type: rsa
        size: "{{ ssh_host_rsa_key_size }}"
        path: /root/keys/ssh_host_rsa_key
        force: false
        regenerate: partial_idempotence
      register: r_rsa
    - name: ecdsa with a comment, mode and group
      community.crypto.openssh_keypair: {path: /root/keys/ecdsa, type: ecdsa, size: 384, comment: "ph@test", mode: "0600", group: adm}
      register: r_ecdsa
    - name: ed25519, the size ignored
      community.crypto.openssh_keypair: {path: /root/keys/ed, type: ed25519, size: 4096}
      register: r_ed
    - name: a key of the wrong type, regenerated
      community.crypto.openssh_keypair: {path: /root/keys/wrongtype, type: ed25519}
      register: r_wrongtype
    - name: a key of the wrong size, kept
      community.crypto.openssh_keypair: {path: /root/keys/kept, size: 2048, regenerate: never}
      register: r_kept
    - name: a key of the wrong size, refused
      community.crypto.openssh_keypair: {path: /root/keys/failing, size: 2048, regenerate: fail}
      register: r_failing
      ignore_errors: true
    - name: the public key written again, with its comment
      community.crypto.openssh_keypair: {path: /root/keys/nopub, type: ed25519, comment: restored}
      register: r_nopub
    - name: absent
      community.crypto.openssh_keypair: {path: /root/keys/gone, state: absent}
      register: r_gone
    - name: a directory
      community.crypto.openssh_keypair: {path: /root/keys/adir}
      register: r_dir
      ignore_errors: true
    - name: a missing directory
      community.crypto.openssh_keypair: {path: /root/nowhere/key}
      register: r_nodir
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'rsa': r_rsa, 'ecdsa': r_ecdsa, 'ed': r_ed, 'wrongtype': r_wrongtype, 'kept': r_kept, 'failing': r_failing, 'nopub': r_nopub, 'gone': r_gone, 'dir': r_dir, 'nodir': r_nodir} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// Each key file's attributes and first line (private keys), `ssh-keygen -l`'s size, type and
/// comment, and each public key's type and comment.
fn state(m: &Machine) -> String {
    m.ok(
        "cd /root/keys && for f in $(ls | sort); do [ -f \"$f\" ] || continue; \
          stat -c '== %n %a %U %G' \"$f\"; \
          case $f in *.pub) awk '{ $2 = \"DATA\"; print }' \"$f\" ;; \
          *) head -n 1 \"$f\"; ssh-keygen -l -f \"$f\" | awk '{ $2 = \"FP\"; print }' ;; esac; done",
    )
}

fn rule(at: &Site) -> Rule {
    match at.key {
        "invocation" | "_ansible_no_log" | "exception" => Rule::Skip,
        "fingerprint" | "public_key" => Rule::Type,
        _ => Rule::Equal,
    }
}

#[test]
fn key_pairs_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        rule: Some(rule),
        ..Differential::new("modules_openssh_keypair", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    for want in [
        "== ssh_host_rsa_key 600 root root\n-----BEGIN OPENSSH PRIVATE KEY-----\n2048 FP ssh_host_rsa_key.pub (RSA)\n",
        "== ecdsa 600 root adm\n",
        "== ecdsa.pub 600 root adm\necdsa-sha2-nistp384 DATA ph@test\n",
        "== ed.pub 644 root root\nssh-ed25519 DATA\n",
        "== wrongtype.pub 644 root root\nssh-ed25519 DATA\n",
        "1024 FP kept (RSA)",
        "1024 FP failing (RSA)",
        "== nopub.pub 644 root root\nssh-ed25519 DATA restored\n",
    ] {
        assert!(ours.contains(want), "{want:?} in:\n{ours}");
    }
    assert!(!ours.contains("gone"), "{ours}");
    let r = &outcome.ours;
    assert_eq!(r["rsa"]["size"], 2048, "{r}");
    assert_eq!(r["ecdsa"]["comment"], "ph@test", "{r}");
    assert_eq!(r["failing"]["failed"], true, "{r}");
    // The results' key material is the files'.
    let m = trial.ours();
    let public = m.ok("cut -d' ' -f1,2 /root/keys/ecdsa.pub");
    assert_eq!(r["ecdsa"]["public_key"], public.trim(), "{r}");
    let fp = m.ok("ssh-keygen -l -f /root/keys/ecdsa | cut -d' ' -f2");
    assert_eq!(r["ecdsa"]["fingerprint"], fp.trim(), "{r}");
}

const SECRET: &str = "ph-Secret-9d1f pass";

#[test]
fn a_passphrase_protects_the_key_and_is_never_shown() {
    let machines = Machines::start(1);
    let play = format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - community.crypto.openssh_keypair:\n        \
         path: /root/secret_key\n        type: ed25519\n        passphrase: \"{SECRET}\"\n        comment: locked\n      \
         register: r\n    - debug: {{var: r}}\n"
    );
    let repo = machines_repo(&machines).file("deploy.yaml", &play);
    let m = machines.machine(0);
    let first = playhook_deploy(&repo, &["-vvv"]);
    let text = format!("{}{}", first.stdout(), first.stderr());
    assert!(!text.contains("9d1f"), "the passphrase is shown:\n{text}");
    assert_eq!(first.recap(&m.name)["changed"], 1, "{text}");
    let locked = m.run("ssh-keygen -P '' -y -f /root/secret_key");
    assert_ne!(locked.code, 0, "the key opens without its passphrase");
    let opened = m.ok(&format!("ssh-keygen -P '{SECRET}' -y -f /root/secret_key"));
    assert!(opened.starts_with("ssh-ed25519 "), "{opened}");
    assert!(m.ok("cat /root/secret_key.pub").trim_end().ends_with(" locked"));
    let left = m.ok("find /tmp /root -name pass -o -name ask");
    assert!(left.trim().is_empty(), "a passphrase file is left behind: {left}");
    let again = playhook_deploy(&repo, &["-vvv"]);
    let text = format!("{}{}", again.stdout(), again.stderr());
    assert!(!text.contains("9d1f"), "the passphrase is shown:\n{text}");
    assert_eq!(again.recap(&m.name)["changed"], 0, "{text}");
}

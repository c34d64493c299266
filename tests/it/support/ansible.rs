//! ansible-playbook as the oracle: run a generated playbook on localhost with the local
//! connection, and render templates with Ansible's `template` module.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::ansible_tasks::ansible_command;

/// Runs `playbook` (YAML text, written to `dir/playbook.yml`) against localhost with the local
/// connection, with extra environment variables; panics with Ansible's output if it fails.
pub fn run_playbook(dir: &Path, playbook: &str, envs: &[(&str, &str)]) -> Output {
    let path = dir.join("playbook.yml");
    std::fs::write(&path, playbook).expect("write the playbook");
    let mut cmd = ansible_command("ansible-playbook");
    cmd.arg("-i")
        .arg("localhost,")
        .arg("-c")
        .arg("local")
        .arg(&path)
        .current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run ansible-playbook ({e}): install it with `pip install ansible-core==2.19.14`")
    });
    assert!(
        out.status.success(),
        "ansible-playbook failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Renders each `(name, template)` with Ansible's `template` module into `out_dir/name`,
/// with the variables of `vars_file`. The playbook lives in `dir` (its `playbook_dir`).
pub fn render_templates(
    dir: &Path,
    templates: &[(String, PathBuf)],
    vars_file: &Path,
    out_dir: &Path,
    envs: &[(&str, &str)],
) {
    let mut play = format!(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: ['{}']\n  tasks:\n",
        vars_file.display()
    );
    for (name, src) in templates {
        play.push_str(&format!(
            "    - name: render {name}\n      template:\n        src: '{}'\n        dest: '{}'\n",
            src.display(),
            out_dir.join(name).display()
        ));
    }
    run_playbook(dir, &play, envs);
}

//! How to reach a host and how to become another user there, from its variables.

use minijinja::Value;

use crate::connection::{Become, BecomeMethod, ConnectionKind, Target};
use crate::secrets::SecretString;
use crate::truthy::boolean;

use super::RunOptions;

/// The play-level connection settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlayConnection<'a> {
    pub connection: Option<&'a str>,
    pub remote_user: Option<&'a str>,
}

impl<'a> PlayConnection<'a> {
    pub fn of(play: &'a crate::repo::playbook::Play) -> Self {
        PlayConnection {
            connection: play.connection.as_deref(),
            remote_user: play.remote_user.as_deref(),
        }
    }
}

fn string_var(vars: &Value, name: &str) -> Option<String> {
    let v = vars.get_attr(name).ok()?;
    if v.is_undefined() || v.is_none() {
        return None;
    }
    Some(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

/// The value of the last of `names` that is set: when several are, Ansible's configuration
/// takes the last one its plugin lists.
fn last_var(vars: &Value, names: &[&str]) -> Option<String> {
    names.iter().rev().find_map(|name| string_var(vars, name))
}

/// The connection target of `host`, from its (templated) variables and the run's options.
/// `play` gives the play's `connection` and `remote_user`, which host variables override.
/// Fails for an `ansible_connection` playhook does not have.
pub fn target_for(
    host: &str,
    vars: &Value,
    opts: &RunOptions,
    play: PlayConnection<'_>,
) -> Result<Target, String> {
    let play_connection = play.connection;
    let variable = string_var(vars, "ansible_connection");
    let chosen = variable.as_deref().or(play_connection);
    let kind = match chosen.map(|c| crate::repo::keywords::CONNECTIONS.iter().find(|(n, _)| *n == c)) {
        Some(Some((_, "local"))) => ConnectionKind::Local,
        Some(Some(_)) => ConnectionKind::Ssh,
        Some(None) => {
            let names: Vec<&str> = crate::repo::keywords::CONNECTIONS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            return Err(format!(
                "{host}: ansible_connection `{}` is not supported; supported: {}",
                chosen.unwrap_or_default(),
                names.join(", ")
            ));
        }
        None if host == "localhost" && string_var(vars, "ansible_host").is_none() => ConnectionKind::Local,
        None => ConnectionKind::Ssh,
    };
    let mut ssh_args = opts.ssh_args.clone();
    for name in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
        if let Some(args) = string_var(vars, name) {
            ssh_args.extend(split_words(&args));
        }
    }
    Ok(Target {
        name: host.to_string(),
        kind,
        address: string_var(vars, "ansible_host").unwrap_or_else(|| host.to_string()),
        port: string_var(vars, "ansible_port").and_then(|p| p.parse().ok()),
        user: string_var(vars, "ansible_user")
            .or_else(|| play.remote_user.map(str::to_string))
            .or_else(|| opts.remote_user.clone()),
        private_key_file: string_var(vars, "ansible_ssh_private_key_file")
            .or_else(|| string_var(vars, "ansible_private_key_file"))
            .or_else(|| opts.private_key_file.clone()),
        password: last_var(
            vars,
            &["ansible_password", "ansible_ssh_pass", "ansible_ssh_password"],
        )
        .map(SecretString::new),
        ssh_args,
        accept_new_host_keys: opts.accept_new_host_keys,
        skip_host_key_checking: opts.skip_host_key_checking
            || vars
                .get_attr("ansible_host_key_checking")
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
                .and_then(|v| boolean(&v))
                == Some(false),
        connect_timeout: opts.connect_timeout,
    })
}

/// Privilege escalation for a task: the task's `become*` keywords over the host's `ansible_become*`.
pub fn become_for(
    vars: &Value,
    escalate: Option<bool>,
    user: Option<String>,
    method: Option<&str>,
) -> Result<Option<Become>, String> {
    let enabled = escalate
        .or_else(|| vars.get_attr("ansible_become").ok().and_then(|v| boolean(&v)))
        .unwrap_or(false);
    if !enabled {
        return Ok(None);
    }
    let user = user
        .or_else(|| string_var(vars, "ansible_become_user"))
        .unwrap_or_else(|| "root".to_string());
    let method = match method
        .map(str::to_string)
        .or_else(|| string_var(vars, "ansible_become_method"))
        .as_deref()
    {
        None | Some("sudo") => BecomeMethod::Sudo,
        Some("su") => BecomeMethod::Su,
        Some(other) => {
            return Err(format!(
                "become_method `{other}` is not supported; supported: sudo, su"
            ));
        }
    };
    let password = last_var(
        vars,
        &[
            "ansible_become_password",
            "ansible_become_pass",
            "ansible_sudo_pass",
        ],
    )
    .map(SecretString::new);
    Ok(Some(Become {
        user,
        method,
        password,
    }))
}

/// Splits ssh option text like a shell would (quotes group words).
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

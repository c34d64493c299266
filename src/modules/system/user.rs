//! `user`: a local account present (uid, groups, home, shell, hashed password, expiry, ssh
//! key) or absent, through `getent`, `useradd`, `usermod`, `userdel`, `chage` and
//! `ssh-keygen`, as ansible-core 2.19's `user` module does on Linux. A run with nothing to do
//! costs one round trip ([`user_query`](super::user_query)).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::accounts::{State, command_output, program_missing, require_programs, run_user_command, text};
use super::user_plan::{self, command_line};
use super::user_query::{self, Current, Question};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `user` module.
pub struct User;

/// `groups`: a list, or the comma-separated text Ansible splits (and joins back unchanged
/// for the result).
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum Groups {
    Text(String),
    List(Vec<String>),
}

impl Groups {
    /// The text Ansible registers: the items joined with commas.
    pub fn joined(&self) -> String {
        match self {
            Groups::Text(t) => t.clone(),
            Groups::List(items) => items.join(","),
        }
    }
}

/// `update_password: always | on_create`.
#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePassword {
    Always,
    OnCreate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "user")]
    pub name: String,
    pub state: Option<State>,
    pub uid: Option<i64>,
    pub non_unique: Option<bool>,
    pub group: Option<String>,
    pub groups: Option<Groups>,
    pub comment: Option<String>,
    pub home: Option<String>,
    pub shell: Option<String>,
    pub password: Option<String>,
    pub update_password: Option<UpdatePassword>,
    pub password_lock: Option<bool>,
    pub password_expire_max: Option<i64>,
    pub password_expire_min: Option<i64>,
    pub password_expire_warn: Option<i64>,
    pub password_expire_account_disable: Option<i64>,
    pub expires: Option<f64>,
    pub force: Option<bool>,
    pub remove: Option<bool>,
    #[serde(alias = "createhome")]
    pub create_home: Option<bool>,
    pub move_home: Option<bool>,
    pub skeleton: Option<String>,
    pub umask: Option<String>,
    pub system: Option<bool>,
    pub append: Option<bool>,
    pub generate_ssh_key: Option<bool>,
    pub ssh_key_bits: Option<i64>,
    pub ssh_key_type: Option<String>,
    pub ssh_key_file: Option<String>,
    pub ssh_key_comment: Option<String>,
    pub ssh_key_passphrase: Option<String>,
    pub uid_min: Option<i64>,
    pub uid_max: Option<i64>,
    pub local: Option<bool>,
    pub seuser: Option<String>,
    /// BSD only: Ansible ignores it on Linux.
    pub login_class: Option<String>,
    /// macOS only: Ansible ignores it on Linux.
    pub hidden: Option<bool>,
    /// Solaris only: Ansible ignores these on Linux.
    pub profile: Option<String>,
    pub authorization: Option<String>,
    pub role: Option<String>,
}

impl Params {
    pub fn create_home(&self) -> bool {
        self.create_home.unwrap_or(true)
    }

    pub fn update_password(&self) -> bool {
        self.update_password != Some(UpdatePassword::OnCreate)
    }

    pub fn ssh_key_type(&self) -> &str {
        self.ssh_key_type.as_deref().unwrap_or("rsa")
    }

    pub fn ssh_key_file(&self) -> String {
        self.ssh_key_file
            .clone()
            .unwrap_or_else(|| format!(".ssh/id_{}", self.ssh_key_type()))
    }

    /// The `groups` items, trimmed, empty ones dropped (Ansible splits its joined text so).
    pub fn group_list(&self) -> Vec<String> {
        let joined = self.groups.as_ref().map(Groups::joined).unwrap_or_default();
        joined
            .split(',')
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect()
    }

    fn question(&self) -> Question<'_> {
        let mut groups = self.group_list();
        groups.extend(self.group.clone());
        groups.push(self.name.clone());
        Question {
            name: &self.name,
            groups,
            home: self.home.as_deref(),
            key_file: None,
        }
    }
}

#[async_trait]
impl TypedModule for User {
    type Params = Params;

    const SPEC: Spec = Spec::host("user");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        refuse_unsupported(&p)?;
        let warnings = warnings(&p);
        let key_file = p.ssh_key_file();
        let mut question = p.question();
        if p.generate_ssh_key.unwrap_or(false) {
            question.key_file = Some(&key_file);
        }
        let out = ctx.run(user_query::script(&question, "")).await?;
        let cur = user_query::parse(&question, &text(&out.stdout));
        let mut outcome = Outcome::ok()
            .with("name", p.name.as_str())
            .with("state", p.state.unwrap_or(State::Present).as_str());
        if p.state == Some(State::Absent) {
            return absent(ctx, &p, &cur, outcome).await;
        }
        let command = match cur.passwd {
            None => {
                if ctx.check {
                    return Ok(Outcome::changed(true));
                }
                let useradd = user_plan::useradd(&p, &cur)?;
                outcome
                    .data
                    .insert("system".into(), p.system.unwrap_or(false).into());
                outcome.data.insert("create_home".into(), p.create_home().into());
                Some(user_plan::with_home_parents(&p, &useradd, cur.home_parent_is_dir))
            }
            Some(_) => {
                let usermod = user_plan::usermod(&p, &cur)?;
                outcome
                    .data
                    .insert("append".into(), p.append.unwrap_or(false).into());
                outcome
                    .data
                    .insert("move_home".into(), p.move_home.unwrap_or(false).into());
                usermod.map(|words| command_line(&words))
            }
        };
        if p.password.is_some() {
            outcome
                .data
                .insert("password".into(), "NOT_LOGGING_PASSWORD".into());
        }
        let mut warnings = warnings;
        let fin = if ctx.check {
            outcome.changed = command.is_some() || follow_up_needed(&p, &cur, &mut warnings);
            cur
        } else {
            if let Some(script) = &command {
                let program = if cur.passwd.is_some() {
                    "usermod"
                } else {
                    "useradd"
                };
                let (stdout, stderr) = run_user_command(ctx, &p.name, program, script).await?;
                outcome.changed = true;
                command_output(&mut outcome, stdout, stderr);
            }
            // The follow-up reports its own warnings; without it, the ones judged from `cur`.
            let mut judged = Vec::new();
            if follow_up_needed(&p, &cur, &mut judged) || command.is_some() {
                follow_up(ctx, &p, &question, &mut outcome, &mut warnings).await?
            } else {
                warnings.extend(judged);
                cur
            }
        };
        present_result(&p, &fin, &mut outcome);
        if !warnings.is_empty() {
            let list: Vec<Value> = warnings.into_iter().map(Value::from).collect();
            outcome.data.insert("warnings".into(), Value::from(list));
        }
        Ok(outcome)
    }
}

/// Parameters playhook cannot honour on a Debian host.
fn refuse_unsupported(p: &Params) -> Result<(), ModuleError> {
    if p.seuser.is_some() {
        return Err(ModuleError::Params(format!(
            "user {}: seuser needs SELinux, which playhook does not manage; remove `seuser`",
            p.name
        )));
    }
    if p.local == Some(true) {
        return Err(ModuleError::Params(format!(
            "user {}: local: true needs libuser's luseradd/lusermod/luserdel, which playhook does not drive; \
             drop `local` to manage the account with useradd",
            p.name
        )));
    }
    Ok(())
}

/// Ansible's warnings about the arguments.
fn warnings(p: &Params) -> Vec<String> {
    let mut out = Vec::new();
    if p.password
        .as_deref()
        .is_some_and(|pw| !pw.is_empty() && !looks_hashed(pw))
    {
        out.push(
            "The input password appears not to have been hashed. The 'password' argument must be \
             encrypted for this module to work properly."
                .to_string(),
        );
    }
    if p.groups.is_none() && p.append.unwrap_or(false) {
        out.push(
            "'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.\
             This will change to an error in Ansible 2.14."
                .to_string(),
        );
    }
    out
}

/// Ansible's `check_password_encrypted` test.
fn looks_hashed(pw: &str) -> bool {
    if ["*", "!", "*************"].contains(&pw) {
        return true;
    }
    if pw.contains([':', '*', '!']) || !pw.contains('$') {
        return false;
    }
    let fields: Vec<&str> = pw.split('$').collect();
    if fields.len() < 3 {
        return false;
    }
    let last = fields[fields.len() - 1];
    if last
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || "./=".contains(c)))
    {
        return false;
    }
    let want = match fields[1] {
        "1" => Some(22),
        "5" | "y" => Some(43),
        "6" => Some(86),
        _ => None,
    };
    want.is_none_or(|n| last.len() == n)
}

/// `state: absent`.
async fn absent(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    cur: &Current,
    mut outcome: Outcome,
) -> Result<Outcome, ModuleError> {
    if cur.passwd.is_none() {
        return Ok(outcome);
    }
    if ctx.check {
        return Ok(Outcome::changed(true));
    }
    let script = command_line(&user_plan::userdel(p));
    let (stdout, stderr) = run_user_command(ctx, &p.name, "userdel", &script).await?;
    outcome.changed = true;
    outcome
        .data
        .insert("force".into(), p.force.unwrap_or(false).into());
    outcome
        .data
        .insert("remove".into(), p.remove.unwrap_or(false).into());
    command_output(&mut outcome, stdout, stderr);
    Ok(outcome)
}

/// Whether the home, the ssh key or password ageing still need work, judged from the account
/// as it is (check mode's answer); adds the warnings Ansible gives about a kept key.
fn follow_up_needed(p: &Params, cur: &Current, warnings: &mut Vec<String>) -> bool {
    let mut needed = p.create_home() && !cur.home_exists;
    if let Some(key) = &cur.key {
        let force = p.force.unwrap_or(false);
        if !key.dir_exists {
            needed = true;
        } else if key.exists && !force {
            warnings.push(format!(
                "Found existing ssh key private file \"{}\", no force, so skipping ssh-keygen generation",
                key.path
            ));
        } else if key.pub_exists && !force {
            warnings.push(format!(
                "Found existing ssh key public file \"{}.pub\", no force, so skipping ssh-keygen generation",
                key.path
            ));
        } else {
            needed = true;
        }
    }
    let shadow = cur.shadow.clone().unwrap_or_default();
    needed
        || [
            (p.password_expire_min, shadow.min),
            (p.password_expire_max, shadow.max),
            (p.password_expire_warn, shadow.warn),
        ]
        .iter()
        .any(|(want, have)| want.is_some() && want != have)
}

/// Runs the follow-up actions and asks for the account again; returns it as it ends.
async fn follow_up(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    question: &Question<'_>,
    outcome: &mut Outcome,
    warnings: &mut Vec<String>,
) -> Result<Current, ModuleError> {
    let mut programs = Vec::new();
    if p.generate_ssh_key.unwrap_or(false) {
        programs.push("ssh-keygen");
    }
    if [
        p.password_expire_min,
        p.password_expire_max,
        p.password_expire_warn,
    ]
    .iter()
    .any(Option::is_some)
    {
        programs.push("chage");
    }
    let actions = format!("{}{}", require_programs(&programs), user_plan::actions(p));
    let out = ctx.run(user_query::script(question, &actions)).await?;
    if let Some(msg) = program_missing(&out, &p.name, ctx.host) {
        return Err(ModuleError::failed(msg));
    }
    if out.rc != 0 {
        return Err(
            ModuleError::failed_with(text(&out.stderr).trim_end(), outcome.clone())
                .with("name", p.name.as_str())
                .with("rc", out.rc),
        );
    }
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let (tag, path) = line.split_once('\t').unwrap_or((line, ""));
        match tag {
            "action-home" | "action-key" | "action-chage" => outcome.changed = true,
            "action-key-kept-private" => warnings.push(format!(
                "Found existing ssh key private file \"{path}\", no force, so skipping ssh-keygen generation"
            )),
            "action-key-kept-public" => warnings.push(format!(
                "Found existing ssh key public file \"{path}\", no force, so skipping ssh-keygen generation"
            )),
            "action-key-overwrote-private" => {
                warnings.push(format!("Overwriting existing ssh key private file \"{path}\""))
            }
            "action-key-overwrote-public" => {
                warnings.push(format!("Overwriting existing ssh key public file \"{path}\""))
            }
            _ => {}
        }
    }
    Ok(user_query::parse(question, &stdout))
}

/// The account's fields, as Ansible registers them for `state: present`.
fn present_result(p: &Params, cur: &Current, outcome: &mut Outcome) {
    let Some(info) = &cur.passwd else {
        return;
    };
    let data = &mut outcome.data;
    data.insert("uid".into(), info.uid.into());
    data.insert("group".into(), info.gid.into());
    data.insert("comment".into(), info.comment.as_str().into());
    data.insert("home".into(), info.home.as_str().into());
    data.insert("shell".into(), info.shell.as_str().into());
    if let Some(groups) = &p.groups {
        data.insert("groups".into(), groups.joined().into());
    }
    if let Some(key) = &cur.key {
        data.insert("ssh_fingerprint".into(), key.fingerprint.as_str().into());
        data.insert("ssh_key_file".into(), key.path.as_str().into());
        data.insert(
            "ssh_public_key".into(),
            key.public.as_deref().map_or(Value::from(()), Value::from),
        );
    }
}

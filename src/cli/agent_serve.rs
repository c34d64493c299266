//! `playhook agent serve`: the trigger and metrics server ([`crate::agent::serve`]), its
//! settings from the command line and the `serve:` section of the agent's configuration
//! (`--config`, `playhook agent`'s), each
//! request's outcome logged on stderr (the journal, under systemd).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::agent::config::Config;
use crate::agent::serve::{self, Options, ServeConfig, ServeEvent};
use crate::agent::signature;
use crate::agent::{install, trigger};
use crate::cli::Exit;

/// Serve `POST /trigger` (a signed webhook starts a pass now) and `GET /metrics`.
///
/// A trigger is accepted when signed with the shared secret as GitHub (`X-Hub-Signature-256`),
/// Gitea (`X-Gitea-Signature`) or playhook (`X-Playhook-Signature-256`) sign, or carrying it as
/// GitLab's `X-Gitlab-Token`. Unsigned requests get 401, bad signatures 403, bodies over
/// `serve.max_body_bytes` 413, triggers over the rate limit (`serve.burst`, one more each
/// `serve.refill_secs`) 429. A trigger during a pass queues exactly one more pass. Nothing in a
/// request is ever run. Without a secret the server refuses to start, unless it listens on a
/// loopback address and --insecure-no-secret says so.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:9222 [default: `serve.listen`]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// File holding the shared secret [default: `serve.secret_file`]
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// Accept triggers without any signature; only on a loopback address.
    #[arg(long)]
    pub insecure_no_secret: bool,
}

/// The `serve:` section of the agent's configuration, checked; and its state directory.
fn load_config(path: &Path) -> anyhow::Result<(ServeConfig, PathBuf)> {
    let config = Config::load(path)?;
    let serve = match &config.serve {
        Some(section) => serde_yaml_ng::from_value::<ServeConfig>(section.clone())
            .with_context(|| format!("`{}`: in `serve:`", path.display()))?,
        None => ServeConfig::default(),
    };
    serve
        .validate()
        .with_context(|| format!("`{}`", path.display()))?;
    Ok((serve, config.state_dir()))
}

fn log(line: std::fmt::Arguments<'_>) {
    // Nothing sensible is left to do when stderr is gone.
    let _ = writeln!(std::io::stderr().lock(), "playhook agent serve: {line}");
}

fn describe(event: &ServeEvent) {
    match event {
        ServeEvent::Listening(addr) => {
            log(format_args!("listening on {addr} (POST /trigger, GET /metrics)"));
        }
        ServeEvent::Refused {
            peer,
            method,
            path,
            status,
            reason,
        } => log(format_args!(
            "refused {method} {path} from {peer}: {status} {reason}"
        )),
        ServeEvent::Triggered { peer, header, queued } => log(format_args!(
            "trigger from {peer} ({}): pass {}",
            header.unwrap_or("no secret configured"),
            queued.as_str()
        )),
        ServeEvent::Ping { peer } => log(format_args!("ping from {peer}: pong")),
        ServeEvent::MetricsFailed { reason } => log(format_args!("metrics: {reason}")),
    }
}

/// Runs `argv` and waits; its output goes where the server's goes.
fn run_pass(argv: &[String]) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let status = Command::new(program).args(args).stdin(Stdio::null()).status();
    match status {
        Ok(s) if s.success() => log(format_args!("pass done")),
        Ok(s) => log(format_args!("pass `{program}` ended with {s}")),
        Err(e) => log(format_args!("could not start the pass `{program}`: {e}")),
    }
}

/// What a trigger does without `serve.command`: it asks for a pass (a running pass then goes
/// once more, `agent::trigger`) and starts the agent's service, so the pass runs as the timer's
/// do, with the service's credentials; without systemd, it runs `agent run` itself.
fn default_pass(state_dir: &Path, run: &[String]) {
    if let Err(e) = trigger::request(state_dir) {
        log(format_args!("{}", crate::error_chain::render(&e)));
        return;
    }
    if Path::new("/run/systemd/system").is_dir() {
        let argv = ["systemctl", "start", "--no-block", install::SERVICE].map(String::from);
        run_pass(&argv);
    } else {
        run_pass(run);
    }
}

pub fn run(config_path: &Path, args: ServeArgs) -> anyhow::Result<Exit> {
    let (config, state_dir) = load_config(config_path)?;
    let addr = match (args.listen, &config.listen) {
        (Some(a), _) => a,
        (None, Some(text)) => text
            .parse()
            .with_context(|| format!("`serve.listen` `{text}` is not an address:port"))?,
        (None, None) => bail!("no address to listen on: pass --listen ADDR or set `serve.listen`"),
    };
    let secret_file = args.secret_file.as_ref().or(config.secret_file.as_ref());
    let secret = match secret_file {
        Some(path) => Some(
            signature::read_key_file(path)
                .with_context(|| format!("reading the trigger secret `{}`", path.display()))?,
        ),
        None => None,
    };
    serve::check_exposure(addr, secret.is_some(), args.insecure_no_secret)?;
    let job: Box<dyn Fn() + Send + Sync> = match &config.command {
        Some(argv) => {
            let argv = argv.clone();
            Box::new(move || run_pass(&argv))
        }
        None => {
            let exe = std::env::current_exe().context("finding this program to run passes")?;
            let run = vec![
                exe.display().to_string(),
                "agent".into(),
                "--config".into(),
                config_path.display().to_string(),
                "run".into(),
                "--trigger".into(),
                "http".into(),
            ];
            let state_dir = state_dir.clone();
            Box::new(move || default_pass(&state_dir, &run))
        }
    };
    let options = Options {
        addr,
        secret,
        max_body_bytes: config.max_body_bytes,
        burst: config.burst,
        refill: Duration::from_secs(config.refill_secs),
        state_dir,
    };
    serve::serve(options, job, |e| describe(&e))?;
    Ok(Exit::Success)
}

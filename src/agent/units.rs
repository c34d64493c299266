//! The agent's systemd units and cron line, rendered from the minijinja templates in
//! `templates/agent/` (compiled into the binary).
//!
//! - `playhook-agent.service.j2`: the oneshot `playhook agent run`, after
//!   `network-online.target`, with `LoadCredential=` when the secrets key is a credential;
//! - `playhook-agent.timer.j2`: a few seconds after install and a minute after boot, then every
//!   `interval` after the last start, delayed by up to `splay`;
//! - `playhook-serve.service.j2`: `playhook agent serve`, when the configuration has `serve:`;
//! - `playhook-agent.cron.j2`: the `/etc/crontab` line for systems without systemd.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use super::config::{Config, parse_span};
use super::git::redact_url;

/// The service's unit name, as the timer names it.
pub const SERVICE: &str = "playhook-agent.service";

const TEMPLATES: [(&str, &str); 4] = [
    (
        "playhook-agent.service.j2",
        include_str!("../../templates/agent/playhook-agent.service.j2"),
    ),
    (
        "playhook-agent.timer.j2",
        include_str!("../../templates/agent/playhook-agent.timer.j2"),
    ),
    (
        "playhook-serve.service.j2",
        include_str!("../../templates/agent/playhook-serve.service.j2"),
    ),
    (
        "playhook-agent.cron.j2",
        include_str!("../../templates/agent/playhook-agent.cron.j2"),
    ),
];

/// Renders one of [`TEMPLATES`]: text as written (no escaping, trailing newline kept, the
/// newline after a `{% %}` tag dropped), every variable required.
fn render(name: &str, values: minijinja::Value) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_syntax(
        SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .build()
            .expect("a syntax with the default delimiters"),
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (n, text) in TEMPLATES {
        env.add_template(n, text)
            .expect("the compiled-in unit templates parse (tested)");
    }
    env.get_template(name)
        .and_then(|t| t.render(values))
        .expect("the compiled-in unit templates render with every variable given (tested)")
}

/// The service unit.
pub fn service_unit(config: &Config, exe: &Path, config_path: &Path) -> String {
    render(
        "playhook-agent.service.j2",
        context! {
            repo => redact_url(&config.repo),
            branch => config.followed_branch(),
            exe => exe.display().to_string(),
            config => config_path.display().to_string(),
            credential => config.secrets_credential.clone(),
        },
    )
}

/// The timer unit.
pub fn timer_unit(config: &Config) -> String {
    let interval = parse_span(&config.interval).unwrap_or_default().as_secs().max(1);
    render(
        "playhook-agent.timer.j2",
        context! {
            interval_text => config.interval.clone(),
            on_boot => interval.min(60),
            interval => interval,
            splay => parse_span(&config.splay).unwrap_or_default().as_secs(),
            service => SERVICE,
        },
    )
}

/// The unit of `playhook agent serve` (the trigger and metrics server).
pub fn serve_unit(exe: &Path, config_path: &Path) -> String {
    render(
        "playhook-serve.service.j2",
        context! {
            exe => exe.display().to_string(),
            config => config_path.display().to_string(),
        },
    )
}

/// The `/etc/crontab` line for systems without systemd (no newline at its end).
pub fn cron_line(config: &Config, exe: &Path, config_path: &Path) -> String {
    let minutes = (parse_span(&config.interval).unwrap_or_default().as_secs() / 60).clamp(1, 59);
    let every = if minutes == 1 {
        "*".to_string()
    } else {
        format!("*/{minutes}")
    };
    let mut line = render(
        "playhook-agent.cron.j2",
        context! {
            every => every,
            exe => exe.display().to_string(),
            config => config_path.display().to_string(),
        },
    );
    line.truncate(line.trim_end().len());
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_carry_the_schedule() {
        let mut c = Config::new("https://bob:token@git.example.com/infra.git");
        c.interval = "10min".into();
        c.splay = "2min".into();
        let s = service_unit(
            &c,
            Path::new("/usr/local/bin/playhook"),
            Path::new("/etc/playhook/agent.yaml"),
        );
        assert!(s.contains("After=network-online.target\n"), "{s}");
        assert!(s.contains("Wants=network-online.target\n"), "{s}");
        assert!(s.contains("ExecStart=/usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger timer\n"), "{s}");
        assert!(!s.contains("token"), "no credentials in units: {s}");
        let t = timer_unit(&c);
        for line in [
            "OnBootSec=60s",
            "OnUnitActiveSec=600s",
            "RandomizedDelaySec=120",
            "Unit=playhook-agent.service",
            "WantedBy=timers.target",
        ] {
            assert!(t.contains(line), "{line} in {t}");
        }
        assert_eq!(
            cron_line(
                &c,
                Path::new("/usr/local/bin/playhook"),
                Path::new("/etc/playhook/agent.yaml")
            ),
            "*/10 * * * * root /usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger cron"
        );
        c.secrets_credential = Some("playhook-secrets".into());
        let s = service_unit(&c, Path::new("/p"), Path::new("/c"));
        assert!(s.contains("LoadCredential=playhook-secrets\n"), "{s}");
    }

    /// The units as `playhook agent install` has always written them, byte for byte: a
    /// template change that alters them makes every installed agent restart its timer.
    #[test]
    fn rendered_units_are_the_units_installed_before() {
        let mut c = Config::new("https://bob:token@git.example.com/infra.git");
        c.branch = "prod".into();
        c.interval = "30s".into();
        c.splay = "0".into();
        let exe = Path::new("/usr/local/bin/playhook");
        let conf = Path::new("/etc/playhook/agent.yaml");
        let service = "# Written by `playhook agent install`; `playhook agent uninstall` removes it.\n\
[Unit]\n\
Description=playhook agent: fetch, compare and apply https://git.example.com/infra.git (prod)\n\
Documentation=man:git(1)\n\
Wants=network-online.target\n\
After=network-online.target\n\
\n\
[Service]\n\
Type=oneshot\n\
User=root\n\
Environment=HOME=/root\n\
ExecStart=/usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger timer\n\
TimeoutStartSec=infinity\n";
        assert_eq!(service_unit(&c, exe, conf), service);
        let timer = "# Written by `playhook agent install`; `playhook agent uninstall` removes it.\n\
[Unit]\n\
Description=playhook agent every 30s\n\
\n\
[Timer]\n\
OnActiveSec=5s\n\
OnBootSec=30s\n\
OnUnitActiveSec=30s\n\
RandomizedDelaySec=0\n\
AccuracySec=1s\n\
Unit=playhook-agent.service\n\
\n\
[Install]\n\
WantedBy=timers.target\n";
        assert_eq!(timer_unit(&c), timer);
        assert_eq!(
            cron_line(&c, exe, conf),
            "* * * * * root /usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger cron"
        );
        c.secrets_credential = Some("playhook-secrets".into());
        c.canary_branch = Some("canary".into());
        let with_credential = service.replace("(prod)", "(canary)").replace(
            "TimeoutStartSec=infinity\n",
            "TimeoutStartSec=infinity\n\
# The secrets key, from /etc/credstore/playhook-secrets (or a drop-in with LoadCredentialEncrypted=).\n\
LoadCredential=playhook-secrets\n",
        );
        assert_eq!(service_unit(&c, exe, conf), with_credential);
        assert_eq!(
            serve_unit(exe, conf),
            "# Written by `playhook agent install`; `playhook agent uninstall` removes it.\n\
[Unit]\n\
Description=playhook agent trigger and metrics\n\
Wants=network-online.target\n\
After=network-online.target\n\
\n\
[Service]\n\
ExecStart=/usr/local/bin/playhook agent serve --config /etc/playhook/agent.yaml\n\
Restart=on-failure\n\
\n\
[Install]\n\
WantedBy=multi-user.target\n"
        );
    }
}

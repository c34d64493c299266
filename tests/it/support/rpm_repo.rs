//! A local RPM repository on a test machine: small noarch `.rpm`s built there with `rpmbuild`,
//! indexed with `createrepo_c`, served by `python3 -m http.server` (a systemd unit) on the
//! machine's own loopback address, so dnf installs without the network. The machines share the
//! host's network: each serves on its own address, which its `/etc/hosts` names `ph-repo`, so
//! every machine's play says the same URL. Each machine builds its own: the same names,
//! versions and files, hence the same end state.

use super::machines::Machine;

/// One package: name, version, and the files it installs (path, text).
#[derive(Clone, Debug)]
pub struct Rpm {
    pub name: String,
    pub version: String,
    pub requires: Vec<String>,
    pub files: Vec<(String, String)>,
}

impl Rpm {
    pub fn new(name: &str, version: &str) -> Rpm {
        Rpm {
            name: name.into(),
            version: version.into(),
            requires: Vec::new(),
            files: vec![(format!("/usr/share/{name}/version"), format!("{version}\n"))],
        }
    }

    pub fn requires(mut self, dep: &str) -> Rpm {
        self.requires.push(dep.into());
        self
    }

    /// The spec file rpmbuild builds it from.
    fn spec(&self) -> String {
        let mut s = format!(
            "Name: {n}\nVersion: {v}\nRelease: 1\nSummary: playhook test package {n}\nLicense: MIT\n\
             BuildArch: noarch\nAutoReqProv: no\n",
            n = self.name,
            v = self.version
        );
        for r in &self.requires {
            s.push_str(&format!("Requires: {r}\n"));
        }
        s.push_str("%description\nA package for playhook's tests.\n%install\n");
        for (path, text) in &self.files {
            let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
            s.push_str(&format!(
                "mkdir -p %{{buildroot}}{dir}\nprintf '%s' '{}' > %{{buildroot}}{path}\n",
                text.replace('\n', "\\n")
            ));
        }
        s.push_str("%files\n");
        for (path, _) in &self.files {
            s.push_str(&format!("{path}\n"));
        }
        s
    }
}

/// The port the repository is served on (inside the machine).
pub const PORT: u16 = 8321;

/// The repository's URL, as seen from the machine itself.
pub fn url() -> String {
    format!("http://ph-repo:{PORT}/")
}

/// Builds `rpms` on `m` into /srv/rpms, indexes and serves them.
pub fn serve(m: &Machine, rpms: &[Rpm]) {
    let mut script =
        String::from("set -e\nmkdir -p /root/rpmbuild/SPECS /srv/rpms\ncd /root/rpmbuild/SPECS\n");
    for r in rpms {
        script.push_str(&format!(
            "cat > {n}-{v}.spec <<'PH_EOF'\n{spec}PH_EOF\n\
             rpmbuild --quiet -bb --nodeps --define '_topdir /root/rpmbuild' {n}-{v}.spec >/dev/null 2>&1 || \
             rpmbuild -bb --nodeps --define '_topdir /root/rpmbuild' {n}-{v}.spec\n",
            n = r.name,
            v = r.version,
            spec = r.spec()
        ));
    }
    script.push_str(&format!(
        "cp /root/rpmbuild/RPMS/noarch/*.rpm /srv/rpms/\ncreaterepo_c -q /srv/rpms\n\
         echo '{addr} ph-repo' >>/etc/hosts\n\
         systemd-run --unit=ph-rpm-repo --working-directory=/srv/rpms python3 -m http.server --bind {addr} {PORT} >/dev/null 2>&1\n\
         for i in $(seq 50); do python3 -c 'import urllib.request; urllib.request.urlopen(\"{url}repodata/repomd.xml\")' 2>/dev/null && exit 0; sleep 0.1; done\n\
         echo 'the rpm repository does not answer' >&2; exit 1\n",
        url = url(),
        addr = m.address
    ));
    m.ok(&script);
}

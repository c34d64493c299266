//! One HTTP request made on the target with `curl` or `wget` (whichever it has), shared by
//! `get_url`, `uri` and `unarchive`: the shell lines that make it and the parser of what they
//! print.
//!
//! Everything secret or long — the URL, headers, user and password, the body — travels as the
//! command's standard input: a curl config file followed by a wgetrc, split on the target into
//! a private (`mktemp -d`, 0700) directory removed on exit. No secret is ever in a process's
//! arguments or environment. The response body goes to a file the caller names; the status,
//! the effective URL and the last response's headers come back on stdout after markers.

use indexmap::IndexMap;

use crate::connection::quote::quote;

/// What to ask for.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    /// `GET`, `HEAD`, `POST`, ...
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Send the credentials with the first request instead of answering a 401 challenge.
    pub force_basic_auth: bool,
    pub timeout: u64,
    pub validate_certs: bool,
    pub use_proxy: bool,
    pub follow_redirects: bool,
    pub decompress: bool,
    pub use_netrc: bool,
    pub agent: String,
    pub body: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub ciphers: Option<String>,
}

impl Request {
    /// A `GET` of `url` with Ansible's defaults (10 s timeout, certificates checked, redirects
    /// followed, `ansible-httpget` as the agent).
    pub fn get(url: &str) -> Request {
        Request {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            user: None,
            password: None,
            force_basic_auth: false,
            timeout: 10,
            validate_certs: true,
            use_proxy: true,
            follow_redirects: true,
            decompress: true,
            use_netrc: true,
            agent: "ansible-httpget".into(),
            body: None,
            client_cert: None,
            client_key: None,
            ciphers: None,
        }
    }

    /// The bytes the script reads on stdin: curl's config, a separator line, wget's rc.
    pub fn stdin(&self) -> Vec<u8> {
        let (url, user, password) = split_userinfo(&self.url, self.user.clone(), self.password.clone());
        let mut c = String::new();
        let mut w = String::new();
        let mut opt = |k: &str, v: &str| c.push_str(&format!("{k} = \"{}\"\n", curl_escape(v)));
        opt("url", &url);
        opt("user-agent", &self.agent);
        for (name, value) in &self.headers {
            opt("header", &format!("{name}: {value}"));
        }
        if let Some(user) = &user {
            opt("user", &format!("{user}:{}", password.as_deref().unwrap_or("")));
        }
        if let Some(v) = &self.client_cert {
            opt("cert", v);
        }
        if let Some(v) = &self.client_key {
            opt("key", v);
        }
        if let Some(v) = &self.ciphers {
            opt("ciphers", v);
        }
        if let Some(body) = &self.body {
            opt("data-binary", body);
        }
        match self.method.as_str() {
            "HEAD" => c.push_str("head\n"),
            "GET" if self.body.is_none() => {}
            m => opt("request", m),
        }
        let t = self.timeout.max(1);
        c.push_str(&format!(
            "connect-timeout = {t}\nspeed-time = {t}\nspeed-limit = 1\nmax-redirs = 10\n"
        ));
        if user.is_some() {
            c.push_str(if self.force_basic_auth {
                "basic\n"
            } else {
                "anyauth\n"
            });
        }
        if self.follow_redirects {
            c.push_str("location\n");
        }
        if !self.validate_certs {
            c.push_str("insecure\n");
        }
        if !self.use_proxy {
            c.push_str("noproxy = \"*\"\n");
        }
        if self.decompress {
            c.push_str("compressed\n");
        }
        if self.use_netrc {
            c.push_str("netrc-optional\n");
        }
        // wgetrc: one `name = value` a line, the value raw to the end of the line.
        let line = |s: &str| s.replace(['\n', '\r'], " ");
        w.push_str(&format!("user_agent = {}\n", line(&self.agent)));
        for (name, value) in &self.headers {
            w.push_str(&format!("header = {}: {}\n", line(name), line(value)));
        }
        if let Some(user) = &user {
            w.push_str(&format!("user = {}\n", line(user)));
            w.push_str(&format!(
                "password = {}\n",
                line(password.as_deref().unwrap_or(""))
            ));
            if self.force_basic_auth {
                w.push_str("auth_no_challenge = on\n");
            }
        }
        w.push_str(&format!(
            "timeout = {t}\ntries = 1\nmax_redirect = {}\n",
            if self.follow_redirects { 10 } else { 0 }
        ));
        if !self.validate_certs {
            w.push_str("check_certificate = off\n");
        }
        if !self.use_proxy {
            w.push_str("use_proxy = off\n");
        }
        if self.method != "GET" {
            w.push_str(&format!("method = {}\n", line(&self.method)));
        }
        if let Some(v) = &self.client_cert {
            w.push_str(&format!("certificate = {}\n", line(v)));
        }
        if let Some(v) = &self.client_key {
            w.push_str(&format!("private_key = {}\n", line(v)));
        }
        let mut all = c.into_bytes();
        all.extend_from_slice(SEPARATOR.as_bytes());
        all.extend_from_slice(w.as_bytes());
        all.extend_from_slice(b"# url ");
        all.extend_from_slice(line(&url).as_bytes());
        all.push(b'\n');
        all
    }

    /// Why wget cannot make this request, when it cannot.
    fn wget_refusal(&self) -> Option<&'static str> {
        if self.body.is_some() {
            Some("a request body needs curl on the target (wget is the only one installed)")
        } else if self.ciphers.is_some() {
            Some("ciphers need curl on the target (wget is the only one installed)")
        } else {
            None
        }
    }
}

const SEPARATOR: &str = "#__ph_wgetrc__\n";

/// `user:password@` in a URL moves to the credentials (unless they are given), so it never
/// appears in an argument; the URL keeps the rest.
fn split_userinfo(
    url: &str,
    user: Option<String>,
    password: Option<String>,
) -> (String, Option<String>, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), user, password);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), user, password);
    };
    let info = &rest[..at];
    let clean = format!("{scheme}://{}", &rest[at + 1..]);
    let (u, p) = match info.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (info.to_string(), None),
    };
    (clean, user.or(Some(u)), password.or(p))
}

/// A value inside double quotes in a curl config file.
fn curl_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Shell lines making `req` with the body written to `$out_var` (a shell variable the caller
/// set; `/dev/null` is fine). They set up `$ph_d` (the private directory, removed on exit) and
/// print the response after `__ph_http__`. Standard input must be [`Request::stdin`].
pub fn lines(req: &Request, out_var: &str) -> String {
    let wget_no = match req.wget_refusal() {
        Some(why) => format!("echo '__ph_http__ refused'; echo {}", quote(why)),
        None => format!(
            "WGETRC=\"$ph_d/w\" wget -nv -S --content-on-error -O \"${out_var}\" \
             -i \"$ph_d/u\" 2>\"$ph_d/e\" || ph_rc=$?\n\
             echo \"__ph_http__ wget $ph_rc\"; cat \"$ph_d/e\""
        ),
    };
    format!(
        "ph_d=$(mktemp -d) || exit 1\ntrap 'rm -rf \"$ph_d\"' EXIT\n\
         cat > \"$ph_d/all\"\n\
         sed '/^#__ph_wgetrc__$/,$d' \"$ph_d/all\" > \"$ph_d/c\"\n\
         sed '1,/^#__ph_wgetrc__$/d' \"$ph_d/all\" > \"$ph_d/w\"\n\
         sed -n 's/^# url //p' \"$ph_d/w\" > \"$ph_d/u\"\n\
         ph_rc=0\n\
         if command -v curl >/dev/null 2>&1; then\n\
         curl -sS -K \"$ph_d/c\" -o \"${out_var}\" -D \"$ph_d/h\" -w '%{{http_code}} %{{url_effective}}\\n' \
         > \"$ph_d/o\" 2>\"$ph_d/e\" || ph_rc=$?\n\
         echo \"__ph_http__ curl $ph_rc\"; cat \"$ph_d/o\"; echo __ph_err__; cat \"$ph_d/e\"; \
         echo __ph_headers__; cat \"$ph_d/h\" 2>/dev/null\n\
         elif command -v wget >/dev/null 2>&1; then\n{wget_no}\n\
         else echo '__ph_http__ missing'; fi\n"
    )
}

/// What came back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    /// The HTTP status; `None` when no response arrived (`error` says why).
    pub status: Option<u16>,
    /// The reason phrase of the status line (`Not Found`).
    pub reason: String,
    /// The URL after redirects.
    pub url: String,
    /// The last response's headers, names lowercased, in order (a repeated name keeps the
    /// values joined with `, `, as Python's `dict(r.info())` keeps the last; Ansible's `uri`
    /// joins `set-cookie`).
    pub headers: IndexMap<String, String>,
    /// What the client said when it failed.
    pub error: Option<String>,
}

/// Why no request could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// Neither curl nor wget.
    NoClient,
    /// wget cannot make this request (the reason).
    Refused(String),
}

/// Parses the output of [`lines`] (the text after `__ph_http__`).
pub fn parse(text: &str, url: &str) -> Result<Response, Unavailable> {
    let Some((_, rest)) = text.split_once("__ph_http__ ") else {
        return Err(Unavailable::NoClient);
    };
    let (first, rest) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut words = first.split_whitespace();
    let tool = words.next().unwrap_or("");
    let rc: i32 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    match tool {
        "missing" => Err(Unavailable::NoClient),
        "refused" => Err(Unavailable::Refused(rest.trim().to_string())),
        "curl" => Ok(parse_curl(rc, rest, url)),
        _ => Ok(parse_wget(rc, rest, url)),
    }
}

fn parse_curl(rc: i32, rest: &str, url: &str) -> Response {
    let (w, rest) = rest.split_once("__ph_err__\n").unwrap_or((rest, ""));
    let (err, headers) = rest.split_once("__ph_headers__\n").unwrap_or((rest, ""));
    let (code, effective) = w.trim().split_once(' ').unwrap_or((w.trim(), url));
    let mut resp = Response {
        status: code.parse().ok().filter(|c| *c != 0),
        url: if effective.is_empty() {
            url.to_string()
        } else {
            effective.to_string()
        },
        ..Response::default()
    };
    let block = last_block(headers);
    read_block(&block, &mut resp);
    if rc != 0 {
        resp.error = Some(err.trim().trim_start_matches("curl: ").to_string());
        if resp.status.is_none() || rc != 0 && block.is_empty() {
            resp.status = None;
        }
    }
    resp
}

/// wget -S prints each response's status line and headers indented by two spaces.
fn parse_wget(rc: i32, rest: &str, url: &str) -> Response {
    let mut blocks: Vec<String> = Vec::new();
    let mut other = Vec::new();
    for line in rest.lines() {
        if let Some(h) = line.strip_prefix("  ") {
            if h.starts_with("HTTP/") {
                blocks.push(String::new());
            }
            if let Some(b) = blocks.last_mut() {
                b.push_str(h);
                b.push('\n');
            }
        } else if !line.trim().is_empty() {
            other.push(line.trim().to_string());
        }
    }
    let mut resp = Response {
        url: url.to_string(),
        ..Response::default()
    };
    // The effective URL: each redirect's Location, resolved against the URL before it.
    for b in &blocks[..blocks.len().saturating_sub(1)] {
        let mut r = Response::default();
        read_block(b, &mut r);
        if let Some(loc) = r.headers.get("location") {
            resp.url = resolve(&resp.url, loc);
        }
    }
    if let Some(b) = blocks.last() {
        read_block(b, &mut resp);
    }
    if resp.status.is_none() && rc != 0 {
        resp.error = Some(other.join("; "));
    }
    resp
}

/// `loc` relative to `base`, as a redirect's Location is read.
fn resolve(base: &str, loc: &str) -> String {
    if loc.contains("://") {
        return loc.to_string();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return loc.to_string();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    if loc.starts_with('/') {
        return format!("{scheme}://{}{loc}", &rest[..host_end]);
    }
    let path = &rest[host_end..];
    let dir = &path[..path.rfind('/').map(|i| i + 1).unwrap_or(0)];
    format!(
        "{scheme}://{}{}{loc}",
        &rest[..host_end],
        if dir.is_empty() { "/" } else { dir }
    )
}

/// The last header block of a `-D` dump (one per response, redirects first).
fn last_block(dump: &str) -> String {
    let normal = dump.replace("\r\n", "\n");
    normal
        .split("\n\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .unwrap_or("")
        .to_string()
}

fn read_block(block: &str, resp: &mut Response) {
    let mut lines = block.lines();
    if let Some(status) = lines.next() {
        let mut parts = status.splitn(3, ' ');
        let _version = parts.next();
        resp.status = parts.next().and_then(|c| c.parse().ok());
        resp.reason = parts.next().unwrap_or("").trim().to_string();
    }
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            match resp.headers.get_mut(&name) {
                Some(v) => {
                    v.push_str(", ");
                    v.push_str(&value);
                }
                None => {
                    resp.headers.insert(name, value);
                }
            }
        }
    }
}

/// The last part of a URL's path, as Ansible names a download (`index.html` for none).
pub fn url_filename(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = match rest.find('/') {
        Some(i) => &rest[i..],
        None => "",
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "index.html".to_string(),
    }
}

/// The `filename` of a Content-Disposition header, its directory part dropped.
pub fn disposition_filename(header: &str) -> Option<String> {
    for part in header.split(';').skip(1) {
        let (key, value) = part.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("filename") {
            let v = value.trim().trim_matches('"');
            let name = v.rsplit('/').next().unwrap_or(v);
            return (!name.is_empty()).then(|| name.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_url_and_never_reach_an_argument() {
        let mut req = Request::get("http://bob:s3cret@127.0.0.1:8000/f");
        req.headers.push(("X-A".into(), "q\"uote".into()));
        let stdin = String::from_utf8(req.stdin()).expect("utf8");
        assert!(stdin.contains("url = \"http://127.0.0.1:8000/f\""), "{stdin}");
        assert!(stdin.contains("user = \"bob:s3cret\""), "{stdin}");
        assert!(stdin.contains("header = \"X-A: q\\\"uote\""), "{stdin}");
        assert!(stdin.contains("anyauth"), "{stdin}");
        assert!(!lines(&req, "t").contains("s3cret"));
    }

    #[test]
    fn curl_output_gives_the_last_responses_status_and_headers() {
        let text = "__ph_http__ curl 0\n200 http://h/b\n__ph_err__\n__ph_headers__\n\
                    HTTP/1.0 301 Moved\r\nLocation: /b\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 3\r\n\
                    Content-Disposition: attachment; filename=\"x/y.tgz\"\r\n\r\n";
        let r = parse(text, "http://h/a").expect("parsed");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.reason, "OK");
        assert_eq!(r.url, "http://h/b");
        assert_eq!(r.headers["content-length"], "3");
        assert_eq!(
            disposition_filename(&r.headers["content-disposition"]).as_deref(),
            Some("y.tgz")
        );
        assert_eq!(parse("__ph_http__ missing\n", "u"), Err(Unavailable::NoClient));
    }

    #[test]
    fn wget_output_follows_redirects_for_the_effective_url() {
        let text = "__ph_http__ wget 0\n  HTTP/1.0 302 Found\n  Location: /dir/f.txt\n  HTTP/1.0 200 OK\n  Content-Length: 5\n2024 URL:http://h/dir/f.txt [5/5] -> \"x\" [1]\n";
        let r = parse(text, "http://h/start").expect("parsed");
        assert_eq!((r.status, r.url.as_str()), (Some(200), "http://h/dir/f.txt"));
        assert_eq!(r.headers["content-length"], "5");
    }

    #[test]
    fn url_file_names_are_ansibles() {
        assert_eq!(url_filename("http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
    }
}

# The operations of the bundled example (examples/galaxy: roles common, nginx, bind, certbot,
# blog, in that order), ported to pyinfra for the benchmark. The example's templates and files
# are used as they are; the variables of group_vars/ and the roles' defaults are spelled out here.
# Handlers become shell operations that run when one of their notifying operations changed.
# Differences: credentials.ini is computed on the controller from the same key (the template
# uses Ansible-only filters), and the `debug` task is left out.
import os
import re
from io import StringIO

from pyinfra import host
from pyinfra.facts.files import File
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import files, server
from pyinfra.operations.util import any_changed

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "galaxy")
ROLES = os.path.join(EXAMPLE, "roles")
JINJA = {"trim_blocks": True}  # Ansible's template settings


def tpl(role, name):
    return os.path.join(ROLES, role, "templates", name)


# --- variables: group_vars/all.yaml, group_vars/galaxy.yaml, the inventory's group vars --------
name = host.name
address = host.data.address
domain = "galaxy.test"
galaxy_root = "/srv/galaxy"
galaxy_etc = f"{galaxy_root}/etc"
galaxy_srv = f"{galaxy_root}/srv"
galaxy_log = f"{galaxy_root}/var/log"
v = dict(
    inventory_hostname=name,
    group_names=["galaxy"],
    domain=domain,
    webmaster_email="webmaster@galaxy.test",
    dns_nameservers=["ns1.galaxy.test", "ns2.galaxy.test"],
    dns_transfers=["192.0.2.53", "198.51.100.53"],
    dns_records=[
        {"type": "MX", "name": "@", "priority": 10, "value": "mail"},
        {"type": "A", "name": "@", "value": address},
        {"type": "A", "name": name, "value": address},
        {"type": "A", "name": "mail", "value": address},
        {"type": "CNAME", "name": "www", "value": "@"},
        {"type": "CNAME", "name": "blog", "value": "@"},
        {"type": "TXT", "name": "@", "value": "v=spf1 mx -all"},
    ],
    galaxy_root=galaxy_root,
    galaxy_etc=galaxy_etc,
    galaxy_srv=galaxy_srv,
    galaxy_log=galaxy_log,
    galaxy_motd="Welcome to Galaxy, deployed by git push.",
    web_sites=[
        {"name": domain, "root": f"{galaxy_srv}/blog", "aliases": [f"www.{domain}"]},
        {"name": f"git.{domain}", "root": f"{galaxy_srv}/git", "aliases": []},
        {"name": f"static.{domain}", "root": f"{galaxy_srv}/static", "aliases": [], "enabled": False},
    ],
    dns_ttl=3600,
    dns_serial=2024010101,
    bind_letsencrypt_key_name="letsencrypt_wildcard",
    bind_letsencrypt_algorithm="hmac-sha512",
    bind_letsencrypt_secret="c2VjcmV0LWtleS1mb3ItdGhlLWdhbGF4eS1leGFtcGxlLW5vdC1hLXJlYWwtb25l",
    blog_title="Notes from the Milky Way",
    blog_posts=[
        {"slug": "gitops", "title": "Galaxy GitOps", "summary": "Deploying a server with git push."},
        {"slug": "dns", "title": "Running my own DNS", "summary": "A zone file from the inventory."},
        {"slug": "certificates", "title": "Wildcard certificates", "summary": "DNS challenges with a TSIG key."},
    ],
)

# --- common ------------------------------------------------------------------------------------
for d in [galaxy_root, galaxy_etc, galaxy_srv, galaxy_log]:
    files.directory(name=f"Create {d}", path=d, mode="755")

distro = host.get_fact(LinuxDistribution) or {}
meta = distro.get("release_meta") or {}
os_family_debian = "debian" in (meta.get("ID", "") + " " + meta.get("ID_LIKE", "")).lower()
if os_family_debian:
    files.directory(name="Create the apt configuration directory", path=f"{galaxy_etc}/apt/apt.conf.d", mode="755")
    files.put(
        name="Keep apt from installing recommended packages",
        src=StringIO('APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'),
        dest=f"{galaxy_etc}/apt/apt.conf.d/99galaxy",
        mode="644",
    )

facts = {"distribution": distro.get("name", ""), "distribution_version": meta.get("VERSION_ID", "")}
files.template(
    name="Write the message of the day",
    src=tpl("common", "motd.j2"),
    dest=f"{galaxy_etc}/motd",
    mode="644",
    jinja_env_kwargs=JINJA,
    ansible_facts=facts,
    **v,
)
files.put(name="Name the host", src=StringIO(f"{name}\n"), dest=f"{galaxy_etc}/hostname", mode="644")
files.file(name="Create the hosts file", path=f"{galaxy_etc}/hosts", mode="644")
for addr, names in [("127.0.0.1", "localhost"), ("127.0.1.1", f"{name}.{domain} {name}")]:
    files.line(
        name=f"List {addr}",
        path=f"{galaxy_etc}/hosts",
        line="^" + re.escape(addr) + "[[:space:]]",
        replace=f"{addr}\t{names}",
    )

# --- nginx -------------------------------------------------------------------------------------
nginx_etc = f"{galaxy_etc}/nginx"
nginx_log = f"{galaxy_log}/nginx"
for d in [f"{nginx_etc}/sites-available", f"{nginx_etc}/sites-enabled", nginx_log]:
    files.directory(name=f"Create {d}", path=d, mode="755")
nginx_ops = [
    files.template(
        name="Write the main configuration",
        src=tpl("nginx", "nginx.conf.j2"),
        dest=f"{nginx_etc}/nginx.conf",
        mode="644",
        jinja_env_kwargs=JINJA,
        nginx_etc=nginx_etc,
        nginx_log=nginx_log,
        nginx_worker_connections=768,
        nginx_gzip_types=["text/plain", "text/css", "application/json", "application/javascript"],
        **v,
    ),
    files.link(name="Remove the default site", path=f"{nginx_etc}/sites-enabled/default", present=False),
]
for site in v["web_sites"]:
    nginx_ops.append(
        files.template(
            name=f"Write {site['name']}.conf",
            src=tpl("nginx", "site.conf.j2"),
            dest=f"{nginx_etc}/sites-available/{site['name']}.conf",
            mode="644",
            jinja_env_kwargs=JINJA,
            item=site,
            **v,
        )
    )
for site in v["web_sites"]:
    if site.get("enabled", True):
        nginx_ops.append(
            files.link(
                name=f"Enable {site['name']}",
                path=f"{nginx_etc}/sites-enabled/{site['name']}.conf",
                target=f"../sites-available/{site['name']}.conf",
                force=True,
            )
        )
for site in v["web_sites"]:
    files.directory(name=f"Create {site['root']}", path=site["root"], mode="755")

# --- bind --------------------------------------------------------------------------------------
bind_etc = f"{galaxy_etc}/bind"
bind_log = f"{galaxy_log}/bind"
bind_key_file = f"{bind_etc}/keys/{v['bind_letsencrypt_key_name']}.key"
bv = dict(v, bind_etc=bind_etc, bind_log=bind_log, bind_key_file=bind_key_file)
for d, mode in [(bind_etc, "755"), (f"{bind_etc}/keys", "750"), (f"{bind_etc}/zones", "755"), (bind_log, "755")]:
    files.directory(name=f"Create {d}", path=d, mode=mode)
key_op = files.template(
    name="Write the TSIG key",
    src=tpl("bind", "letsencrypt.key.j2"),
    dest=bind_key_file,
    mode="640",
    jinja_env_kwargs=JINJA,
    **bv,
)
zone_op = files.template(
    name=f"Write the zone for {domain}",
    src=tpl("bind", "zone.j2"),
    dest=f"{bind_etc}/zones/db.{domain}",
    mode="644",
    jinja_env_kwargs=JINJA,
    **bv,
)
named_op = files.template(
    name="Declare the zone",
    src=tpl("bind", "named.conf.local.j2"),
    dest=f"{bind_etc}/named.conf.local",
    mode="644",
    jinja_env_kwargs=JINJA,
    **bv,
)
files.file(name="Create zones.log", path=f"{bind_log}/zones.log", mode="644", _if=zone_op.did_change)
files.line(
    name="Note the zone change",
    path=f"{bind_log}/zones.log",
    line=f"{domain} serial {v['dns_serial']}",
    _if=zone_op.did_change,
)

# --- certbot -----------------------------------------------------------------------------------
certbot_etc = f"{galaxy_etc}/letsencrypt"
certbot_live_dir = f"{certbot_etc}/live/{domain}"
for d in [certbot_etc, f"{galaxy_etc}/cron.d"]:
    files.directory(name=f"Create {d}", path=d, mode="755")
files.put(
    name="Write the credentials",
    src=StringIO(
        "# Target DNS server\n"
        "dns_rfc2136_server = 127.0.0.1\n"
        "dns_rfc2136_port = 53\n\n"
        "# TSIG key, read from bind's key file\n"
        f"dns_rfc2136_name = {v['bind_letsencrypt_key_name']}\n"
        f"dns_rfc2136_secret = {v['bind_letsencrypt_secret']}\n"
        f"dns_rfc2136_algorithm = {v['bind_letsencrypt_algorithm'].upper()}\n"
    ),
    dest=f"{certbot_etc}/credentials.ini",
    mode="640",
)
if not host.get_fact(File, path=f"{certbot_live_dir}/fullchain.pem"):
    server.shell(
        name="Generate the certificate",
        commands=[
            f"sh -c 'mkdir -p {certbot_live_dir} && printf \"placeholder certificate for %s\\n\" "
            f"\"*.{domain}\" > {certbot_live_dir}/fullchain.pem'"
        ],
    )
files.put(
    name="Renew the certificates every night",
    src=StringIO(
        f"0 0 * * * root certbot renew --quiet --dns-rfc2136-credentials {certbot_etc}/credentials.ini\n"
    ),
    dest=f"{galaxy_etc}/cron.d/certbot",
    mode="644",
)

# --- blog --------------------------------------------------------------------------------------
blog_root = f"{galaxy_srv}/blog"
for d in [blog_root, f"{blog_root}/posts", f"{blog_root}/static"]:
    files.directory(name=f"Create {d}", path=d, mode="755")
for f in ["style.css", "logo.png"]:
    files.put(
        name=f"Copy {f}",
        src=os.path.join(ROLES, "blog", "files", f),
        dest=f"{blog_root}/static/{f}",
        mode="644",
    )
files.template(
    name="Write the front page",
    src=tpl("blog", "index.html.j2"),
    dest=f"{blog_root}/index.html",
    mode="644",
    jinja_env_kwargs=JINJA,
    **v,
)
for i, post in enumerate(v["blog_posts"]):
    files.template(
        name=f"Write {post['slug']}.html",
        src=tpl("blog", "post.html.j2"),
        dest=f"{blog_root}/posts/{post['slug']}.html",
        mode="644",
        jinja_env_kwargs=JINJA,
        post=post,
        post_index=i,
        **v,
    )
files.put(
    name="Tell robots where the pages are",
    src=StringIO(f"User-agent: *\nAllow: /\nSitemap: https://{domain}/sitemap.txt\n"),
    dest=f"{blog_root}/robots.txt",
    mode="644",
)
sitemap = f"https://{domain}/\n" + "".join(f"https://{domain}/posts/{p['slug']}.html\n" for p in v["blog_posts"])
files.put(name="List the pages", src=StringIO(sitemap), dest=f"{blog_root}/sitemap.txt", mode="644")

# --- handlers (run at the end, like Ansible's) -------------------------------------------------
server.shell(
    name="reload nginx",
    commands=[f'echo "reload nginx" >> {nginx_log}/reloads.log'],
    _if=any_changed(*nginx_ops),
)
server.shell(
    name="reload bind",
    commands=[f"sh -c 'echo \"reload bind\" >> {bind_log}/reloads.log'"],
    _if=any_changed(key_op, zone_op, named_op),
)

#!/usr/bin/env bash
# Installs what the test suite needs on a Debian 12 machine, then builds the test machines' image:
# apt packages (sshd for the fleet, mmdebstrap and systemd-nspawn for the machines, apt-ftparchive
# for the local apt repository, ...), ansible-core (the oracle) with pip, and the cached root
# filesystem (tests/machine-image.sh). Idempotent, and fast when everything is there. Run as root;
# ./test.sh runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."

ansible_version=2.19.14

packages=()
need() { # need COMMAND PACKAGE: install PACKAGE when COMMAND is missing
    command -v "$1" >/dev/null 2>&1 || packages+=("$2")
}
[ -x /usr/sbin/sshd ] || packages+=(openssh-server)
need ssh openssh-client
need ssh-keygen openssh-client
need sudo sudo
need git git
need rsync rsync # synchronize runs rsync on the controller
need unshare util-linux
need flock util-linux
need mmdebstrap mmdebstrap
need systemd-nspawn systemd-container
need apt-ftparchive apt-utils
need python3 python3
need dockerd docker.io # the community.docker modules' tests start their own daemons
need busybox busybox-static # their container images are a busybox imported with `docker import`
# The version pip installed for python3 (much faster than `ansible-playbook --version`).
installed=$(python3 -c 'import importlib.metadata as m; print(m.version("ansible-core"))' 2>/dev/null || true)
ansible_missing=
if [ "$installed" != "$ansible_version" ] || ! command -v ansible-playbook >/dev/null; then
    ansible_missing=yes
    python3 -c 'import pip' 2>/dev/null || packages+=(python3-pip)
fi

if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/setup.sh: missing ${packages[*]}; run it as root (the tests run as root)" >&2
        exit 1
    fi
    echo "tests/setup.sh: installing ${packages[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # No service starts during the install: docker.io's would start a system dockerd that
    # rewrites this machine's firewall (the tests start private daemons of their own).
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
    fi
    apt-get install -y -qq "${packages[@]}" >/dev/null
    [ -z "$policy" ] || rm -f "$policy"
    hash -r
fi

# community.docker.docker_compose_v2 drives `docker compose`, the Compose v2 CLI plugin, which
# bookworm does not package: trixie's `docker-compose` is that plugin (one static-ish binary,
# libc6 >= 2.34 only). apt fetches it through a private sources list naming trixie alone (its
# own lists directory, the system's sources untouched, nothing installed), and only the plugin
# binary is extracted from the package.
compose_plugin=/usr/libexec/docker/cli-plugins/docker-compose
if ! docker compose version >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/setup.sh: the Docker Compose v2 plugin is missing; run it as root" >&2
        exit 1
    fi
    echo "tests/setup.sh: installing the Docker Compose v2 plugin (trixie's docker-compose)" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/root"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$tmp/trixie.list"
    apt_trixie=(-o "Dir::Etc::sourcelist=$tmp/trixie.list" -o Dir::Etc::sourceparts=-
        -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives"
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0)
    if ! apt-get "${apt_trixie[@]}" update -qq >"$tmp/log" 2>&1 ||
        ! (cd "$tmp" && apt-get "${apt_trixie[@]}" download -qq docker-compose/trixie >>"$tmp/log" 2>&1); then
        cat "$tmp/log" >&2
        echo "tests/setup.sh: could not fetch trixie's docker-compose package from deb.debian.org (above: apt's output)" >&2
        exit 1
    fi
    deb=$(ls "$tmp"/docker-compose_*.deb)
    dpkg-deb -x "$deb" "$tmp/root"
    if [ ! -x "$tmp/root$compose_plugin" ]; then
        echo "tests/setup.sh: $deb has no $compose_plugin" >&2
        exit 1
    fi
    install -D -m 755 "$tmp/root$compose_plugin" "$compose_plugin"
    rm -rf "$tmp"
    trap - EXIT
    if ! docker compose version >/dev/null 2>&1; then
        echo "tests/setup.sh: $compose_plugin is installed but \`docker compose version\` fails" >&2
        exit 1
    fi
fi

if [ -n "$ansible_missing" ]; then
    echo "tests/setup.sh: installing ansible-core $ansible_version" >&2
    pip=(python3 -m pip install -q --disable-pip-version-check "ansible-core==$ansible_version")
    # Debian's own python refuses pip installs unless told (PEP 668).
    "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
    hash -r
fi

# The filters' oracle: passlib for password_hash, netaddr for ansible.utils' ip filters, jmespath
# for json_query, requests for community.docker's modules, and the community package's
# collections (ansible.utils, ansible.posix, community.general, community.docker,
# community.crypto), without its dependencies so ansible-core stays at $ansible_version.
collections_version=12.3.0
python_libs=(passlib==1.7.4 netaddr==1.3.0 jmespath==1.1.0 requests==2.34.2)
if ! python3 -c 'import passlib, netaddr, jmespath, requests, ansible_collections.ansible.utils, ansible_collections.ansible.posix, ansible_collections.community.general' 2>/dev/null; then
    echo "tests/setup.sh: installing ${python_libs[*]} and ansible $collections_version's collections" >&2
    pip=(python3 -m pip install -q --disable-pip-version-check "${python_libs[@]}")
    "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
    pip=(python3 -m pip install -q --disable-pip-version-check --no-deps "ansible==$collections_version")
    "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/setup.sh: the test machines' image needs root; run as root" >&2
    exit 1
fi
tests/machine-image.sh >/dev/null

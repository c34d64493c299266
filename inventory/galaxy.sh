#!/bin/sh
# Dynamic inventory for the bundled example (examples/galaxy), in Ansible's script protocol:
#   galaxy.sh --list        all groups, with every host's variables under _meta.hostvars
#   galaxy.sh --host NAME   the variables of one host
#
# By default it describes one host, `milkyway`, reached with `ansible_connection: local`, so the
# example deploys on this machine. Everything the example writes goes under `galaxy_root`.
#
# Environment:
#   GALAXY_ROOT       directory every file lands under (default /tmp/galaxy)
#   GALAXY_SSH_HOSTS  N > 0: describe N ssh hosts galaxy-001 .. galaxy-N instead of the local
#                     one, at 127.0.0.F, 127.0.0.F+1, ... (one sshd per loopback address)
#   GALAXY_SSH_FIRST  F, the last octet of the first ssh host's address (default 11)
#   GALAXY_SSH_PORT   ssh port of every ssh host (default 22)
#   GALAXY_SSH_USER   ssh user (default root)
#   GALAXY_SSH_KEY    private key file for the ssh hosts (default: ssh's own choice)
#
# Only POSIX sh is needed: no Python on the controller for the inventory.
set -eu

root=${GALAXY_ROOT:-/tmp/galaxy}
ssh_hosts=${GALAXY_SSH_HOSTS:-0}
ssh_first=${GALAXY_SSH_FIRST:-11}
ssh_port=${GALAXY_SSH_PORT:-22}
ssh_user=${GALAXY_SSH_USER:-root}
ssh_key=${GALAXY_SSH_KEY:-}

fail() {
    echo "galaxy.sh: $*" >&2
    exit 1
}

is_number() {
    case $1 in
        '' | *[!0-9]*) return 1 ;;
        *) return 0 ;;
    esac
}

# Sets $number to $1 without leading zeros (they would read as octal in $(( ))). Builtins only:
# the script runs once per deploy, before anything else can start.
decimal() {
    number=$1
    while :; do
        case $number in
            0?*) number=${number#0} ;;
            *) break ;;
        esac
    done
}

is_number "$ssh_hosts" || fail "GALAXY_SSH_HOSTS must be a number, not '$ssh_hosts'"
is_number "$ssh_first" || fail "GALAXY_SSH_FIRST must be a number, not '$ssh_first'"
is_number "$ssh_port" || fail "GALAXY_SSH_PORT must be a number, not '$ssh_port'"
decimal "$ssh_hosts"; ssh_hosts=$number
decimal "$ssh_first"; ssh_first=$number
decimal "$ssh_port"; ssh_port=$number
[ $((ssh_first + ssh_hosts - 1)) -le 254 ] ||
    fail "GALAXY_SSH_FIRST + GALAXY_SSH_HOSTS goes past 127.0.0.254"

# A JSON string: backslashes and double quotes escaped.
json_str() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# The strings every host shares, escaped once.
root_json=$(json_str "$root")
user_json=$(json_str "$ssh_user")
key_json=$(json_str "$ssh_key")

# Host names, one per line.
host_names() {
    if [ "$ssh_hosts" -gt 0 ]; then
        i=1
        while [ "$i" -le "$ssh_hosts" ]; do
            printf 'galaxy-%03d\n' "$i"
            i=$((i + 1))
        done
    else
        echo milkyway
    fi
}

# The variables of one host, as a JSON object.
host_vars() {
    name=$1
    if [ "$name" = milkyway ]; then
        address=127.0.0.1
        connection='"ansible_connection": "local"'
    else
        decimal "${name#galaxy-}"
        address="127.0.0.$((ssh_first + number - 1))"
        connection="\"ansible_connection\": \"ssh\", \"ansible_host\": \"$address\","
        connection="$connection \"ansible_port\": $ssh_port, \"ansible_user\": $user_json"
        if [ -n "$ssh_key" ]; then
            connection="$connection, \"ansible_ssh_private_key_file\": $key_json"
        fi
    fi
    printf '%s\n' "{" \
        "      $connection," \
        "      \"galaxy_root\": $root_json," \
        '      "dns_records": [' \
        '        {"type": "MX", "name": "@", "priority": 10, "value": "mail"},' \
        "        {\"type\": \"A\", \"name\": \"@\", \"value\": \"$address\"}," \
        "        {\"type\": \"A\", \"name\": \"$name\", \"value\": \"$address\"}," \
        "        {\"type\": \"A\", \"name\": \"mail\", \"value\": \"$address\"}," \
        '        {"type": "CNAME", "name": "www", "value": "@"},' \
        '        {"type": "CNAME", "name": "blog", "value": "@"},' \
        '        {"type": "TXT", "name": "@", "value": "v=spf1 mx -all"}' \
        '      ]' \
        '    }'
}

list() {
    hosts=$(host_names)
    printf '{\n  "galaxy": {\n    "hosts": ['
    sep=''
    for h in $hosts; do
        printf '%s"%s"' "$sep" "$h"
        sep=', '
    done
    printf '],\n'
    cat <<JSON
    "vars": {
      "domain": "galaxy.test",
      "webmaster_email": "webmaster@galaxy.test",
      "dns_nameservers": ["ns1.galaxy.test", "ns2.galaxy.test"],
      "dns_transfers": ["192.0.2.53", "198.51.100.53"]
    }
  },
JSON
    printf '  "_meta": {\n    "hostvars": {'
    sep=''
    for h in $hosts; do
        printf '%s\n    "%s": ' "$sep" "$h"
        host_vars "$h"
        sep=','
    done
    printf '\n    }\n  }\n}\n'
}

case "${1:-}" in
    --list)
        list
        ;;
    --host)
        [ $# -eq 2 ] || fail "usage: $0 --host NAME"
        for h in $(host_names); do
            if [ "$h" = "$2" ]; then
                host_vars "$h"
                exit 0
            fi
        done
        echo '{}'
        ;;
    *)
        fail "usage: $0 --list | --host NAME"
        ;;
esac

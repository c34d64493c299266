# openssh_keypair's work on the host (see openssh_keypair.rs). Set before this by the module:
# p (private key path), act (none|generate|restore|remove), t (type), b (bits), c (comment),
# has_c (1 when a comment is asked for), m (ssh-keygen -m format, or empty), pw (1 when the
# passphrase arrives on standard input). The passphrase never reaches a command line: it is
# kept in a file of a private temporary directory, which an SSH_ASKPASS script reads back.
# Prints a report (modules/report.rs) of the key pair as it is after the action.
w=$(mktemp -d) || exit 1
trap 'rm -rf "$w"' EXIT
if [ "$pw" = 1 ]; then
    (umask 077; cat >"$w/pass") || exit 1
    printf '#!/bin/sh\ncat "$(dirname "$0")/pass"\n' >"$w/ask"
    chmod 700 "$w/ask"
    SSH_ASKPASS="$w/ask"
    SSH_ASKPASS_REQUIRE=force
    export SSH_ASKPASS SSH_ASKPASS_REQUIRE
fi
d=$(dirname -- "$p")
if [ ! -d "$d" ]; then printf '\036state\nnodir\n'; exit 0; fi
if [ -d "$p" ]; then printf '\036state\nisdir\n'; exit 0; fi
command -v ssh-keygen >/dev/null 2>&1 || {
    echo 'ssh-keygen (openssh-client) is missing on the host' >&2
    exit 127
}

# Puts file $1 at $2 as a rename in $2's directory: a new file keeps $1's mode, an existing one
# keeps its own mode and owner.
place() {
    tmp="$2.ph-tmp.$$"
    cp -p -- "$1" "$tmp" || return 1
    if [ -e "$2" ]; then
        chmod --reference="$2" -- "$tmp" && chown --reference="$2" -- "$tmp" || { rm -f -- "$tmp"; return 1; }
    fi
    mv -f -- "$tmp" "$2"
}

case $act in
generate)
    if [ "$pw" = 1 ]; then
        set -- -q -b "$b" -t "$t" -f "$w/k" -C "$c"
    else
        set -- -q -N '' -b "$b" -t "$t" -f "$w/k" -C "$c"
    fi
    [ -n "$m" ] && set -- "$@" -m "$m"
    ssh-keygen "$@" </dev/null >"$w/out" 2>&1 || { cat "$w/out" >&2; exit 1; }
    place "$w/k" "$p" && place "$w/k.pub" "$p.pub" || exit 1
    ;;
restore)
    if [ "$pw" = 1 ]; then
        ssh-keygen -y -f "$p" </dev/null >"$w/y" 2>"$w/err"
    else
        ssh-keygen -P '' -y -f "$p" </dev/null >"$w/y" 2>"$w/err"
    fi || {
        echo 'The public key is missing or does not match the private key. Unable to regenerate the public key.' >&2
        exit 1
    }
    if [ -e "$p.pub" ]; then cp -p -- "$p.pub" "$w/pub"; else (umask 022; : >"$w/pub"); fi
    awk '{ print $1 " " $2; exit }' "$w/y" >"$w/pub"
    [ -e "$p.pub" ] || chmod 644 "$w/pub"
    place "$w/pub" "$p.pub" || exit 1
    if [ "$has_c" = 1 ]; then
        ssh-keygen -q -c -C "$c" -f "$p" </dev/null >"$w/out" 2>&1 || { cat "$w/out" >&2; exit 1; }
    fi
    ;;
remove)
    rm -f -- "$p" "$p.pub" || exit 1
    ;;
esac

printf '\036state\nok\n'
if [ -e "$p" ]; then
    printf '\036private\n'
    ssh-keygen -l -f "$p" </dev/null 2>/dev/null
    printf '\036header\n'
    head -n 1 -- "$p" 2>/dev/null
    echo
    printf '\036plain\n'
    ssh-keygen -P '' -y -f "$p" </dev/null >/dev/null 2>&1
    echo $?
    printf '\036matching\n'
    if [ "$pw" = 1 ]; then
        ssh-keygen -y -f "$p" </dev/null 2>/dev/null
    else
        ssh-keygen -P '' -y -f "$p" </dev/null 2>/dev/null
    fi
    printf '\n\036readable\n%s\n' $?
fi
if [ -e "$p.pub" ]; then
    printf '\036public\n'
    cat -- "$p.pub"
    echo
fi
exit 0

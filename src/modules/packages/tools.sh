# Helpers the package modules' scripts (pip.sh, npm.sh) start with: a temporary directory,
# the report's sections (see modules/report.rs), running a command with its output kept, and
# Ansible's get_bin_path and `~` expansion.
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
field() { printf '\036%s\n%s\n' "$1" "$2"; }
# Runs a command: OUT, ERR (as printed, trailing newlines kept), RC.
run() {
  "$@" >"$T/o" 2>"$T/e"; RC=$?
  OUT=$(cat "$T/o"; echo .); OUT=${OUT%.}; ERR=$(cat "$T/e"; echo .); ERR=${ERR%.}
  return $RC
}
# Ansible's get_bin_path: PATH, then the sbin directories not in it. BIN, or SEARCHED.
bin_path() {
  SEARCHED=$PATH
  for d in /sbin /usr/sbin /usr/local/sbin; do
    case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && SEARCHED="$SEARCHED:$d" ;; esac
  done
  set -f; IFS=:
  for d in $SEARCHED; do
    if [ -n "$d" ] && [ -f "$d/$1" ] && [ -x "$d/$1" ]; then BIN=$d/$1; unset IFS; set +f; return 0; fi
  done
  unset IFS; set +f; return 1
}
# A path with a leading `~` expanded, as Ansible's `path` parameters are.
home() { case $1 in "~") printf '%s' "$HOME" ;; "~"/*) printf '%s/%s' "$HOME" "${1#"~/"}" ;; *) printf '%s' "$1" ;; esac; }

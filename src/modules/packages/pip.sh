# The `pip` module's one script, run on the target with its inputs assigned before it (see
# pip.rs). It follows ansible-core 2.19's pip.py step for step: the virtualenv created when
# `$ENV/bin/activate` is missing, the pip found as Ansible finds it, `pip list` around a
# requirements file or VCS install, then the one pip command. It reports on stdout as sections:
# a line "\036key" and the value on the lines after it (tools.sh, put before it, has the
# helpers); pip.rs decides changed and failures.

[ -n "$PY" ] || { if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3) || PY=python3; fi; }
ENV=$(home "$ENV"); EXE=$(home "$EXE"); CHDIR=$(home "$CHDIR")
if [ -n "$ENV" ] && [ -n "$CHDIR" ]; then
  case $ENV in /*) ;; *) case $CHDIR in */) ENV=$CHDIR$ENV ;; *) ENV=$CHDIR/$ENV ;; esac ;; esac
fi
field env "$ENV"
[ -n "$CHDIR" ] || CHDIR=${TMPDIR:-/tmp}
[ -n "$UMASK" ] && umask "$UMASK"
[ "$BREAK" = 1 ] && { PIP_BREAK_SYSTEM_PACKAGES=1; export PIP_BREAK_SYSTEM_PACKAGES; }
cd "$CHDIR" 2>/dev/null

# The virtualenv, when it has no bin/activate.
if [ -n "$ENV" ] && [ ! -e "$ENV/bin/activate" ]; then
  [ "$CHECK" = 1 ] && { field checked 1; exit 0; }
  eval "set -- $VENV_CMD"
  v=$1; shift
  if [ "${v##*/}" = "$v" ]; then
    bin_path "$v" || { field fail nobin; field name "$v"; field paths "$SEARCHED"; exit 0; }
    v=$BIN
  fi
  field venv_bin "$v"
  site=
  if [ "$VENV_SITE" = 1 ]; then site=--system-site-packages
  else
    run "$v" --help || { field fail help; field out "$OUT$ERR"; exit 0; }
    set -f
    # shellcheck disable=SC2086 # Python's str.split(): the words of the help text
    printf '%s\n' $OUT | grep -qxF -- --no-site-packages && site=--no-site-packages
    set +f
  fi
  field venv_site "$site"
  [ "$VENV_PY_BAD" = 1 ] && { field fail venv_python; exit 0; }
  py=
  [ "$VENV_IS_VENV" = 1 ] || py="-p${VENV_PY:-$PY}"
  field venv_py "$py"
  run "$v" "$@" ${site:+"$site"} ${py:+"$py"} "$ENV"
  field venv_out "$OUT"; field venv_err "$ERR"
  [ "$RC" = 0 ] || { field fail venv; exit 0; }
  field venv_created 1
fi

# The pip to run: the virtualenv's, the executable, this Python's pip module, or pip3.
if [ -n "$ENV" ]; then
  p=
  for b in pip3 pip; do
    if [ -e "$ENV/bin/$b" ] && [ -x "$ENV/bin/$b" ]; then p=$ENV/bin/$b; break; fi
  done
  [ -n "$p" ] || { field fail nopip_env; exit 0; }
  set -- "$p"
elif [ -n "$EXE" ]; then
  case $EXE in
    /*) set -- "$EXE" ;;
    *) bin_path "$EXE" || { field fail nopip; exit 0; }; set -- "$BIN" ;;
  esac
elif "$PY" -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("pip") else 1)' >/dev/null 2>&1; then
  set -- "$PY" -m pip
else
  bin_path pip3 || { field fail nopip; exit 0; }
  set -- "$BIN"
fi
for w in "$@"; do field pip "$w"; done
[ -e "$1" ] || { field fail oserror; exit 0; }
[ "$NOTHING" = 1 ] && exit 0

# `pip list --format=freeze` (`pip freeze` when that fails), in a parsable locale.
packages() {
  loc=C
  if a=$(locale -a 2>/dev/null); then
    for l in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do
      printf '%s\n' "$a" | grep -qxF "$l" && { loc=$l; break; }
    done
  fi
  if run env LANG=$loc LC_ALL=$loc LC_MESSAGES=$loc "$@" list --format=freeze; then LIST=list; return 0; fi
  LIST=freeze
  run "$@" freeze && return 0
  field fail freeze; field out "$OUT"; field err "$ERR"; exit 0
}

if [ "$CHECK" = 1 ]; then
  [ "$CHECK_CHANGED" = 1 ] && { field checked 1; exit 0; }
  packages "$@"
  field list "$LIST"; field out "$OUT"; field err "$ERR"
  exit 0
fi
if [ "$FREEZE" = 1 ]; then packages "$@"; before=$OUT; fi
if [ -n "$ENV" ]; then PATH="$ENV/bin:$PATH"; export PATH; fi
eval "run \"\$@\" $ARGS"
field rc "$RC"; field out "$OUT"; field err "$ERR"
if [ "$FREEZE" = 1 ] && { [ "$RC" = 0 ] || [ "$STATE" = absent ]; }; then
  [ -n "$ENV" ] && PATH=${PATH#"$ENV/bin:"}
  packages "$@"
  if [ "$OUT" = "$before" ]; then field same 1; else field same 0; fi
fi

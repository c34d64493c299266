# The `npm` module's script, run on the target with its inputs assigned before it and tools.sh
# (see npm.rs). Like community.general's npm.py: npm found (`executable`, its first word looked
# up on the PATH when it has no `/`), the `path` directory created when missing, then the
# commands asked: the query (`npm list --json --long`, `npm outdated`), whose failures are
# ignored, or the actions (`install`, `update`, `uninstall`, `ci`), which stop at the first
# failure. It reports sections; npm.rs decides what to run and what changed.

LANGUAGE=C; LC_ALL=C; export LANGUAGE LC_ALL
if [ -n "$NPM" ]; then
  NPM=$(home "$NPM")
  set -f; IFS=' '
  # shellcheck disable=SC2086 # Python's str.split(" ")
  set -- $NPM
  unset IFS; set +f
else
  set -- npm
fi
case $1 in
  */*) ;;
  *) bin_path "$1" || { field fail nobin; field name "$1"; field paths "$SEARCHED"; exit 0; }
     shift; set -- "$BIN" "$@" ;;
esac
for w in "$@"; do field npm "$w"; done
[ -n "$LIST$ACT1" ] || exit 0
if [ -n "$DIR" ]; then
  DIR=$(home "$DIR")
  [ -e "$DIR" ] || mkdir -p -- "$DIR" || { field fail mkdir; field dir "$DIR"; exit 0; }
  [ -d "$DIR" ] || { field fail notdir; field dir "$DIR"; exit 0; }
  cd "$DIR" || exit 1
fi
[ -e "$1" ] || { field fail oserror; exit 0; }
if [ -n "$LIST" ]; then
  eval "run \"\$@\" $LIST"
  field list "$OUT"
  if [ -n "$OUTDATED" ]; then
    eval "run \"\$@\" $OUTDATED"
    field outdated "$OUT"
  fi
fi
for a in 1 2; do
  eval "act=\$ACT$a"
  [ -n "$act" ] || continue
  eval "run \"\$@\" $act"
  if [ "$RC" != 0 ]; then field act "$a"; field rc "$RC"; field out "$OUT"; field err "$ERR"; field fail run; exit 0; fi
done

# The `git` module's one script, run on the target with its inputs assigned before it (see
# git.rs). It follows ansible-core 2.19's git.py step for step: the same git commands in the
# same order, so the checkout, the refs and the remote URL end as Ansible leaves them. It
# reports on stdout as sections: a line "\036key" and the value on the lines after it.
export LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C LANGUAGE=C
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
field() { printf '\036%s\n%s\n' "$1" "$2"; }
warn() { field warning "$1"; }
# Ends the task as failed: the message, and the command's output when $2 is "cmd".
die() {
  if [ "${2-}" = cmd ]; then field rc "$RC"; field stdout "$OUT"; field stderr "$ERR"; field cmd "$CMD"; fi
  field failed "$1"; exit 0
}
# Runs a command: OUT, ERR (as printed, trailing newlines kept), RC, CMD.
run() {
  "$@" >"$T/o" 2>"$T/e"; RC=$?
  OUT=$(cat "$T/o"; echo .); OUT=${OUT%.}; ERR=$(cat "$T/e"; echo .); ERR=${ERR%.}; CMD="$*"; CMD=${CMD#indest }
  return $RC
}
# As run, and a failure fails the task with the command's stderr (Ansible's check_rc).
must() { run "$@" || die "$(printf '%s' "$ERR")" cmd; }
# Python's str.rstrip('\n') of OUT.
line() { printf '%s' "$OUT"; }
unfrack() { realpath -m -- "$1" 2>/dev/null || printf '%s' "$1"; }

case $REPO in "~"/*) REPO="$HOME/${REPO#"~/"}" ;; "~") REPO=$HOME ;; esac
case $REPO in /*) REPO="file://$REPO" ;; esac
case $DEST in "~"/*) DEST="$HOME/${DEST#"~/"}" ;; "~") DEST=$HOME ;; esac
case $KEY in "~"/*) KEY="$HOME/${KEY#"~/"}" ;; esac
if [ -z "$G" ]; then
  G=$(command -v git) || die "Failed to find required executable \"git\" in paths: $PATH"
fi
[ -n "$UMASK" ] && umask "$UMASK"

# The ssh options asked for (accept_hostkey, accept_newhostkey), then the ssh command git
# runs (set_git_ssh_env, git >= 2.3).
if [ "$ACCEPT_HOSTKEY" = 1 ]; then
  if [ "$HAS_SSH_OPTS" = 1 ]; then
    case $SSH_OPTS in
      *"-o StrictHostKeyChecking=no"* | *"-o StrictHostKeyChecking=accept-new"*) ;;
      *) SSH_OPTS="$SSH_OPTS -o StrictHostKeyChecking=no" ;;
    esac
  else SSH_OPTS="-o StrictHostKeyChecking=no"; HAS_SSH_OPTS=1; fi
fi
if [ "$ACCEPT_NEWHOSTKEY" = 1 ]; then
  command -v ssh >/dev/null 2>&1 || die "Remote host is missing ssh command, so you cannot use acceptnewhostkey option."
  if ssh -o StrictHostKeyChecking=accept-new -V >/dev/null 2>&1; then
    if [ "$HAS_SSH_OPTS" = 1 ]; then
      case $SSH_OPTS in
        *"-o StrictHostKeyChecking=no"* | *"-o StrictHostKeyChecking=accept-new"*) ;;
        *) SSH_OPTS="$SSH_OPTS -o StrictHostKeyChecking=accept-new" ;;
      esac
    else SSH_OPTS="-o StrictHostKeyChecking=accept-new"; HAS_SSH_OPTS=1; fi
  else
    warn "Your ssh client does not support accept_newhostkey option, therefore it cannot be used."
  fi
fi
o=${GIT_SSH_OPTS-}
[ "$HAS_SSH_OPTS" = 1 ] && o="$o $SSH_OPTS"
if [ "$ACCEPT_HOSTKEY" = 1 ]; then
  case $o in *StrictHostKeyChecking=no*) ;; *) o="$o -o StrictHostKeyChecking=no" ;; esac
fi
case $o in *BatchMode=yes*) ;; *) o="$o -o BatchMode=yes" ;; esac
if [ -n "$KEY" ]; then
  case $o in *"-i $KEY"*) ;; *) o="$o  -i $KEY" ;; esac
  case $o in *IdentitiesOnly=yes*) ;; *) o="$o -o IdentitiesOnly=yes" ;; esac
fi
c=${GIT_SSH-${GIT_SSH_COMMAND-ssh}}
[ -n "$o" ] && c="$c $o"
export GIT_SSH_COMMAND="$c"
unset GIT_SSH

# The repository's directory (a `.git` file points elsewhere, as in submodules).
RP=
if [ -n "$DEST" ]; then
  if [ "$BARE" = 1 ]; then RP=$DEST; else RP=$DEST/.git; fi
  if [ -f "$RP" ]; then
    IFS= read -r gl <"$RP" || true
    case $gl in
      "gitdir: "*) gd=${gl#"gitdir: "}; case $gd in /*) RP=$gd ;; *) RP=$DEST/$gd ;; esac ;;
      *) die "Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path" ;;
    esac
    [ -d "$RP" ] || die "Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path"
  fi
fi
indest() { if [ -d "$DEST" ]; then (cd "$DEST" && "$@"); else "$@"; fi; }

is_remote_branch() { # $1 remote, $2 version
  must indest "$G" ls-remote "$1" -h "refs/heads/$2"
  case $OUT in *"$2"*) return 0 ;; esac; return 1
}
is_remote_tag() {
  must indest "$G" ls-remote "$1" -t "refs/tags/$2"
  case $OUT in *"$2"*) return 0 ;; esac; return 1
}
branches() {
  run indest "$G" branch --no-color -a || die "Could not determine branch data - received $OUT"
  BR=$(printf '%s\n' "$OUT" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$')
}
is_local_branch() {
  branches
  printf '%s\n' "$BR" | grep -qxF -e "$1" -e "* $1"
}
is_not_a_branch() {
  branches
  printf '%s\n' "$BR" | grep '^\* ' | grep -q -e 'no branch' -e 'detached from' -e 'detached at'
}
head_branch() { # $1: bare
  if [ "$1" = 1 ]; then hrp=$DEST; else hrp=$DEST/.git; [ -f "$hrp" ] && hrp=$RP; fi
  hf=$hrp/HEAD
  is_not_a_branch && hf=$hrp/refs/remotes/$REMOTE/HEAD
  HB=None
  if [ -f "$hf" ]; then
    hl=
    IFS= read -r hl <"$hf" || true
    if [ -n "$hl" ]; then
      case $hl in *"refs/remotes/$REMOTE"*) hl="${hl%%"refs/remotes/$REMOTE"*}${hl#*"refs/remotes/$REMOTE"}" ;; esac
      hl=${hl##* }
      case $hl in */*/*) hl=${hl#*/}; hl=${hl#*/} ;; */*) hl=${hl#*/} ;; esac
      HB=$hl
    fi
  fi
}
remote_head() { # $1 remote
  cloning=0
  [ "$1" = "$REPO_PARAM" ] && cloning=1
  [ "$1" = "file://$REPO_PARAM" ] && cloning=1
  case $REPO_PARAM in "~"/*) [ "$1" = "file://$HOME/${REPO_PARAM#"~/"}" ] && cloning=1 ;; esac
  tag=0
  if [ "$VERSION" = HEAD ]; then
    if [ $cloning = 1 ]; then
      must "$G" ls-remote "$1" -h HEAD
    else
      head_branch "$BARE"
      must indest "$G" ls-remote "$1" -h "refs/heads/$HB"
    fi
  elif is_remote_branch "$1" "$VERSION"; then
    must indest "$G" ls-remote "$1" -h "refs/heads/$VERSION"
  elif is_remote_tag "$1" "$VERSION"; then
    tag=1
    must indest "$G" ls-remote "$1" -t "refs/tags/$VERSION*"
  else
    RH=$VERSION; return
  fi
  [ -z "$OUT" ] && die "Could not determine remote revision for $VERSION" cmd
  pick=$OUT
  if [ $tag = 1 ]; then
    pick=$(printf '%s\n' "$OUT" | awk -v v="$VERSION" '
      { if (!done && substr($0, length($0) - length(v "^{}") + 1) == v "^{}") { out = $0; done = 1 }
        else if (!done && substr($0, length($0) - length(v) + 1) == v) out = $0 }
      END { print out }')
    [ -z "$pick" ] && pick=$OUT
  fi
  RH=$(printf '%s\n' "$pick" | awk 'NF { print $1; exit }')
}
version_of() { run indest "$G" rev-parse HEAD; line; }
remote_url() { # URL or the word None
  if run indest "$G" ls-remote --get-url "$REMOTE"; then line; else printf None; fi
}
set_remote_url() { # sets URL_CHANGED
  u=$(remote_url)
  URL_CHANGED=0
  if [ "$u" = "$REPO" ] || [ "$(unfrack "$u")" = "$(unfrack "$REPO")" ]; then return; fi
  run indest "$G" remote set-url "$REMOTE" "$REPO" ||
    die "Failed to set a new url $REPO for $REMOTE: $OUT $ERR"
  [ "$u" != None ] && URL_CHANGED=1
}
fetch() { # $1 version, $2 refspec
  set_remote_url
  rs=
  fd=
  if [ -n "$DEPTH" ]; then
    head_branch 0
    if [ -n "$2" ]; then rs=$2
    elif [ "$1" = HEAD ]; then rs=$HB
    elif is_remote_branch "$REPO" "$1"; then
      [ "$HB" != "$1" ] && rs="+refs/heads/$1:refs/heads/$1"
      rs="$rs +refs/heads/$1:refs/remotes/$REMOTE/$1"
    elif is_remote_tag "$REPO" "$1"; then rs="+refs/tags/$1:refs/tags/$1"
    fi
    [ -n "$rs" ] && fd="--depth $DEPTH"
  fi
  tags=
  if [ -z "$DEPTH" ] || [ -z "$rs" ]; then
    if [ "$BARE" = 1 ]; then rs='+refs/heads/*:refs/heads/* +refs/tags/*:refs/tags/*'; else tags=--tags; fi
    [ -n "$2" ] && rs="$rs $2"
  fi
  ff=
  [ "$FORCE" = 1 ] && ff=--force
  set -f
  # shellcheck disable=SC2086 # the refspecs are words
  run indest "$G" fetch $fd $tags $ff "$REMOTE" $rs || { set +f; die "Failed to download remote objects and refs: $OUT $ERR" cmd; }
  set +f
}
diff_of() { # $1 before (or empty: none), $2 after
  if [ -z "$1" ]; then field diff ">> Newly checked out $2"; return; fi
  [ "$1" = "$2" ] && return
  fetch "$2" ""
  if run indest "$G" diff "$1" "$2"; then
    if [ -n "$OUT" ]; then field diff "$OUT"; else field diff ">> No visual differences between $1 and $2"; fi
  elif [ -n "$ERR" ]; then field diff ">> Failed to get proper diff between $1 and $2:
>> $ERR"
  else field diff ">> Failed to get proper diff between $1 and $2"
  fi
}
submodule_versions() { # $1 rev
  must indest "$G" submodule foreach "$G" rev-parse "$1"
  SV=$OUT
}

# No repository at dest: clone it, or (check mode, clone=no) ask the remote.
if { [ -n "$DEST" ] && [ ! -e "$RP/config" ]; } || { [ -z "$DEST" ] && [ "$CLONE" = 0 ]; }; then
  if [ "$CHECK" = 1 ] || [ "$CLONE" = 0 ]; then
    remote_head "$REPO"
    field after "$RH"
    [ "$DIFF" = 1 ] && field diff ">> Newly checked out $RH"
    field changed 1; exit 0
  fi
  mkdir -p "$(dirname "$DEST")" 2>/dev/null
  set --
  if [ "$BARE" = 1 ]; then set -- --bare; else set -- --origin "$REMOTE"; fi
  bt=0
  if is_remote_branch "$REPO" "$VERSION" || is_remote_tag "$REPO" "$VERSION"; then bt=1; fi
  if [ -n "$DEPTH" ]; then
    if [ "$VERSION" = HEAD ] || [ -n "$REFSPEC" ]; then set -- "$@" --depth "$DEPTH"
    elif [ $bt = 1 ]; then set -- "$@" --depth "$DEPTH" --branch "$VERSION"
    else warn "Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec."
    fi
  fi
  [ -n "$REFERENCE" ] && set -- "$@" --reference "$REFERENCE"
  if [ "$SINGLE" = 1 ]; then
    set -- "$@" --single-branch
    [ $bt = 1 ] && set -- "$@" --branch "$VERSION"
  fi
  here=$(pwd)
  cd "$(dirname "$DEST")" 2>/dev/null
  must "$G" clone "$@" "$REPO" "$DEST"
  cd "$here" 2>/dev/null
  if [ "$BARE" = 1 ] && [ "$REMOTE" != origin ]; then must indest "$G" remote add "$REMOTE" "$REPO"; fi
  if [ -n "$REFSPEC" ]; then
    if [ -n "$DEPTH" ]; then must indest "$G" fetch --depth "$DEPTH" "$REMOTE" "$REFSPEC"
    else must indest "$G" fetch "$REMOTE" "$REFSPEC"; fi
  fi
elif [ "$UPDATE" = 0 ]; then
  v=$(version_of)
  field before "$v"; field after "$v"; field changed 0; exit 0
else
  MODS=0
  if [ "$BARE" != 1 ]; then
    run indest "$G" status --porcelain
    [ -n "$(printf '%s\n' "$OUT" | grep -v '^??' | grep -v '^$')" ] && MODS=1
  fi
  BEFORE=$(version_of)
  if [ $MODS = 1 ]; then
    [ "$FORCE" = 1 ] || { field before "$BEFORE"; die "Local modifications exist in the destination: $DEST (force=no)."; }
    if [ "$CHECK" != 1 ]; then
      must indest "$G" reset --hard HEAD
      field msg "Local modifications exist in the destination: $DEST"
    fi
  fi
  if [ "$CHECK" = 1 ]; then
    u=$(remote_url)
    if [ "$u" = None ]; then URL_CHANGED=None
    elif [ -z "$u" ]; then URL_CHANGED=empty
    elif [ "$u" != "$REPO" ] && [ "$(unfrack "$u")" != "$(unfrack "$REPO")" ]; then URL_CHANGED=1
    else URL_CHANGED=0
    fi
    field remote_url_changed "$URL_CHANGED"
    remote_head "$REMOTE"
    field before "$BEFORE"; field after "$RH"
    ch=0
    { [ "$BEFORE" != "$RH" ] || [ "$URL_CHANGED" = 1 ]; } && ch=1
    [ "$DIFF" = 1 ] && diff_of "$BEFORE" "$RH"
    field changed $ch; exit 0
  fi
  set_remote_url
  field remote_url_changed "$URL_CHANGED"
  fetch "$VERSION" "$REFSPEC"
fi

# Check out the version asked for, whether or not anything was fetched.
if [ "$BARE" != 1 ]; then
  if [ "$VERSION" = HEAD ]; then
    head_branch 0
    run indest "$G" checkout --force "$HB" || die "Failed to checkout branch $HB" cmd
    run indest "$G" reset --hard "$REMOTE/$HB" -- || die "Failed to checkout branch $HB" cmd
  elif is_remote_branch "$REMOTE" "$VERSION"; then
    if [ -n "$DEPTH" ] && ! is_local_branch "$VERSION"; then
      run indest "$G" fetch "--depth=$DEPTH" "$REMOTE" "+refs/heads/$VERSION:refs/heads/$VERSION" "+refs/heads/$VERSION:refs/remotes/$REMOTE/$VERSION" ||
        die "Failed to fetch branch from remote: $VERSION" cmd
    fi
    if ! is_local_branch "$VERSION"; then
      run indest "$G" checkout --track -b "$VERSION" "$REMOTE/$VERSION" || die "Failed to checkout $VERSION" cmd
    else
      run indest "$G" checkout --force "$VERSION" || die "Failed to checkout branch $VERSION" cmd
      run indest "$G" reset --hard "$REMOTE/$VERSION" || die "Failed to checkout $VERSION" cmd
    fi
  else
    run indest "$G" checkout --force "$VERSION" || die "Failed to checkout $VERSION" cmd
  fi
fi

# Submodules.
SUBS=0
if [ "$RECURSIVE" = 1 ] && [ "$BARE" != 1 ] && [ -f "$DEST/.gitmodules" ]; then
  while IFS= read -r l; do
    l=$(printf '%s' "$l" | sed 's/^[[:space:]]*//')
    case $l in path*)
      p=$(printf '%s' "${l#*=}" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
      [ -e "$DEST/$p/.git" ] || { SUBS=1; break; } ;;
    esac
  done <"$DEST/.gitmodules"
  if [ $SUBS = 0 ]; then
    submodule_versions HEAD; begin=$SV
    must indest "$G" submodule foreach "$G" fetch
    if [ "$TRACK" = 1 ]; then
      submodule_versions "$REMOTE/master"
      [ "$begin" != "$SV" ] && SUBS=1
    else
      must indest "$G" submodule status
      printf '%s\n' "$OUT" | grep -q '^[^ ]' && SUBS=1
    fi
  fi
  if [ $SUBS = 1 ]; then
    field submodules_changed 1
    must indest "$G" submodule sync
    set -- --init --recursive
    [ "$TRACK" = 1 ] && set -- "$@" --remote
    [ "$FORCE" = 1 ] && set -- "$@" --force
    run indest "$G" submodule update "$@" || die "Failed to init/update submodules: $OUT$ERR"
  fi
fi

AFTER=$(version_of)
[ -n "${BEFORE+x}" ] && field before "$BEFORE"
field after "$AFTER"
if [ "${BEFORE-}" != "$AFTER" ] || [ "${MODS-0}" = 1 ] || [ $SUBS = 1 ] || [ "${URL_CHANGED-0}" = 1 ]; then
  [ "$DIFF" = 1 ] && diff_of "${BEFORE-}" "$AFTER"
  field changed 1
else
  field changed 0
fi

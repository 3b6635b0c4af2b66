# Runs inside the D-Bus session that scripts/test opens. Not meant to be run directly.
set -uo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$REPO_ROOT"

# Unlock a fresh login keyring with a throwaway password: the real Secret Service, not a fake.
export XDG_DATA_HOME="$REALTOR_KEYRING_HOME/data"
mkdir -p "$XDG_DATA_HOME"
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
unset XDG_DATA_HOME
"$PY" -c 'import keyring,sys; b=keyring.get_keyring(); print("keyring backend:", type(b).__module__); sys.exit(0 if "SecretService" in type(b).__module__ else 1)' \
  || { echo "error: the Secret Service keyring is not available in the D-Bus session" >&2; exit 1; }

status=0
# A private temp root: concurrent pytest runs by the same user otherwise prune each other's folders.
BT="$(mktemp -d)"
log "ruff"; "$VENV/bin/ruff" check . || status=1
log "mypy"; "$VENV/bin/mypy" || status=1
log "service suite (Qt-free)"
REALTOR_TEST_NO_QT=1 "$VENV/bin/pytest" -p no:pytest-qt --ignore=tests/qt -q --basetemp="$BT/services" "$@"; rc=$?
[ $rc -eq 0 ] || status=1
# Diagnostic: a keyring daemon that died and was replaced by a D-Bus-activated (locked) one shows here.
log "keyring daemons: $(pgrep -c -f gnome-keyring-daemon || true)"
if [ $# -gt 0 ]; then
  log "Qt suite (offscreen)"
  "$VENV/bin/pytest" tests/qt -q --basetemp="$BT/qt" "$@"; rc=$?
  # 5 = nothing collected: with -k filters that is fine.
  if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then status=1; fi
else
  # One process per file: each file builds windows and event loops of its own, as the app does once;
  # a crash in one file cannot take the others with it, and it names its file.
  log "Qt suite (offscreen), one process per file"
  qt_files=(tests/qt/test_*.py)
  [ ${#qt_files[@]} -gt 0 ] || { echo "error: no Qt tests found" >&2; status=1; }
  for f in "${qt_files[@]}"; do
    "$VENV/bin/pytest" "$f" -q --basetemp="$BT/qt" || { echo "error: Qt tests failed in $f" >&2; status=1; }
  done
fi
exit $status

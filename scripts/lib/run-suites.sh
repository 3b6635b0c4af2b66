# Runs inside the D-Bus session that scripts/test opens. Not meant to be run directly.
set -uo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$REPO_ROOT"

# Unlock a fresh login keyring with a throwaway password: the real Secret Service, not a fake. Its
# control socket goes in a runtime folder of this run's own, so another keyring daemon on the machine
# (a desktop's, another test run's) can neither answer for it nor take it over.
export XDG_RUNTIME_DIR="$REALTOR_KEYRING_HOME/run"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
keyring_round_trip() {
  timeout 30 "$PY" -c 'import keyring,sys
b = keyring.get_keyring(); print("keyring backend:", type(b).__module__)
if "SecretService" not in type(b).__module__: sys.exit(1)
keyring.set_password("realtor-ops-test-probe", "probe", "round-trip")
ok = keyring.get_password("realtor-ops-test-probe", "probe") == "round-trip"
keyring.delete_password("realtor-ops-test-probe", "probe"); sys.exit(0 if ok else 1)' 2>/dev/null
}
keyring_ready=0
for attempt in 1 2 3; do
  export XDG_DATA_HOME="$REALTOR_KEYRING_HOME/data"
  mkdir -p "$XDG_DATA_HOME"
  eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --replace --unlock --components=secrets 2>/dev/null)" || true
  unset XDG_DATA_HOME
  if keyring_round_trip; then keyring_ready=1; break; fi
  log "the keyring did not answer unlocked (attempt $attempt); starting it again"
  sleep 1
done
[ "$keyring_ready" = 1 ] || { echo "error: no unlocked Secret Service keyring in the D-Bus session" >&2; exit 1; }

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

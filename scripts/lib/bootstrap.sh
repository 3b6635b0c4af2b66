# Shared by scripts/test and scripts/console: a project venv and the system packages it needs.
# Sourced, not run. Works on Debian/Ubuntu (apt) and leaves other systems to the README's notes.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${REALTOR_VENV:-$REPO_ROOT/.venv}"
PY="$VENV/bin/python"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

pick_python() {
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$cand"; return 0
    fi
  done
  die "Python 3.11 or newer is needed"
}

# ensure_venv EXTRAS: create .venv and install the project (editable) with the extras, once per
# change of pyproject.toml (a stamp holds its hash).
ensure_venv() {
  local extras="$1" stamp want
  want="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -c1-16)-$extras"
  stamp="$VENV/.realtor-stamp"
  if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "installing Python dependencies into $VENV"
  [ -x "$PY" ] || "$(pick_python)" -m venv "$VENV"
  "$PY" -m pip install -q --disable-pip-version-check -U pip >/dev/null
  "$PY" -m pip install -q --disable-pip-version-check -e "$REPO_ROOT[$extras]"
  echo "$want" > "$stamp"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# ensure_apt CMD PACKAGE...: install Debian packages when CMD is missing.
APT_UPDATED=0
ensure_apt() {
  local probe="$1"; shift
  if command -v "$probe" >/dev/null 2>&1 || [ -e "$probe" ]; then return 0; fi
  command -v apt-get >/dev/null 2>&1 || { log "no apt-get: install $* yourself (see README)"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq >/dev/null || true; APT_UPDATED=1; fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ensure_apt_packages PACKAGE...: install those of the Debian packages that are not installed yet (each
# one checked: a machine may have some of a group and not the others).
ensure_apt_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 1
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { log "no apt-get: install ${missing[*]} yourself (see README)"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq >/dev/null || true; APT_UPDATED=1; fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_desktop_libs() {
  # Qt's xcb plugin (screenshots under Xvfb, the installed app's X11 smoke) and fonts; offscreen needs
  # only fontconfig.
  ensure_apt_packages libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
    libxcb-render-util0 libxcb-xinerama0 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 \
    fonts-dejavu-core || true
}

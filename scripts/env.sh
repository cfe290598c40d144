# Shared set-up for scripts/run and scripts/test: a project virtualenv, bun from npm inside the project, Reflex flags.
# Sourced, not run. Idempotent: each step is skipped when its result is already there and up to date.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUN_VERSION="1.4.5"

export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
# Server-side prerendering leaves emotion styles tied to the first page, so client-side navigation to another page
# loses some of its styles (a centred card lands on the left); the client-rendered build has no such problem.
export REFLEX_SSR=false
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
# AVA itself defaults to prod (no emulators, no dev outbox); these scripts are the local sandbox, so they ask for dev
# unless AVA_ENV is set, here or in .env (an exported variable would override the file).
if [ -z "${AVA_ENV:-}" ] && ! grep -qs '^AVA_ENV=' .env; then
  export AVA_ENV=dev
fi

say() { printf '\033[1;35m==>\033[0m %s\n' "$*"; }

ensure_python_deps() {
  # $1: requirements file. Reinstalls only when the file changed since the last install.
  local req="$1" stamp=".venv/.installed-$(basename "$1")"
  if [ ! -x .venv/bin/python ]; then
    say "Creating .venv"
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
  fi
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    say "Installing $req"
    .venv/bin/pip install -q -r "$req"
    touch "$stamp"
  fi
}

ensure_bun() {
  if ! .tools/node_modules/.bin/bun --version 2>/dev/null | grep -q "^$BUN_VERSION"; then
    say "Installing bun $BUN_VERSION into .tools"
    npm install --silent --no-fund --no-audit --prefix .tools "bun@$BUN_VERSION"
  fi
}

migrate() {
  say "Migrating the database"
  .venv/bin/alembic upgrade head
}

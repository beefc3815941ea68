#!/bin/sh
# The one set-up every path runs (CI, the Dockerfile, the devcontainer): Jupyter from Debian's packages when
# it is missing, the npm dependencies from package-lock.json, and the course's tslab kernel for this checkout.
set -eu
cd "$(dirname "$0")/.."

has_jupyter() {
  for python in "${LLM_COURSE_PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$python" ] || continue
    "$python" -c "import notebook, nbclient, jupyter_client" >/dev/null 2>&1 && return 0
  done
  return 1
}

if ! has_jupyter; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "Installing Jupyter from Debian's packages…"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq jupyter-notebook jupyter-nbconvert python3-nbclient >/dev/null
  else
    echo "Jupyter is missing and apt-get is not available: run \`python3 -m pip install notebook nbclient\`, then this script again." >&2
    exit 1
  fi
fi

# The grader isolates each submission with bubblewrap (lib/grading/sandbox.ts); without it, it still grades
# but says the submissions are not isolated. Best effort: a machine without apt-get or sudo goes on.
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing bubblewrap from Debian's packages (isolation of graded submissions)…"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq bubblewrap >/dev/null; } ||
    echo "bubblewrap could not be installed: npm run grade will run submissions without isolation." >&2
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
node environment/register-kernel.mjs

#!/usr/bin/env bash
# System packages the test suites need that PyPI cannot provide: Debian's chromium for the
# browser tests (Playwright's own browser download cannot work on the build machines).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing and this is not root: browser tests will skip" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

#!/usr/bin/env bash
# npm test: installs what the tests need, builds, fetches the test kernels, runs every layer.
set -euo pipefail
cd "$(dirname "$0")/.."
# Seconds, no VM: lint, format (a narrow set, see .prettierrc.json), types, and the DAP session
# against a scripted gdb replaying recorded MI (test/fast).
npm run lint
npm run format:check
npm run typecheck
npm run test:fast
bash scripts/install-system-deps.sh
npm run build
bash scripts/fetch-kernels.sh all
# The kernel-aware tests also run on 6.12 (module_memory, pcpu_hot, sections with addresses).
bash scripts/fetch-kernels.sh --series 6.12 all
bash scripts/fetch-kernel-source.sh >/dev/null
bash scripts/fetch-kernel-source.sh --series 6.12 --gdb-scripts >/dev/null
node --import tsx --test --test-concurrency=1 --test-reporter=spec test/unit/*.test.ts test/adapter/*.test.ts
# UI tests in a real VS Code (code-server + headless chromium) with the packaged .vsix.
npm run package
bash scripts/install-code-server.sh >/dev/null
node --import tsx --test --test-concurrency=1 --test-reporter=spec test/ui/*.ui.test.ts

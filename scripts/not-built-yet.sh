#!/usr/bin/env bash
# Placeholder for commands whose issues have not landed yet (see `issues`).
echo "npm run $1: not built yet" >&2
exit 1

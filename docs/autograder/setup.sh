#!/usr/bin/env bash
# Gradescope runs this once, as root on its Ubuntu image, when it builds the autograder: the autograder's zip holds
# this setup.sh, run_autograder and backprop-lens's source in a folder backprop-lens/ (with its pyproject.toml).
# An optional rubric.toml beside them: add `--rubric /autograder/source/rubric.toml` to run_autograder's line.
set -euo pipefail
apt-get update -q
apt-get install -y -q python3 python3-pip python3-venv
python3 -m venv /opt/backprop-lens
/opt/backprop-lens/bin/pip install --quiet /autograder/source/backprop-lens
ln -sf /opt/backprop-lens/bin/backprop-lens /usr/local/bin/backprop-lens

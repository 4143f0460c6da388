#!/usr/bin/env bash
# Create the separate virtual environments of the frameworks that would disturb .venv
# (torch==2.13.0 and numpy 2 live there):
#
#   .venv-tf      tensorflow-cpu (Keras 3 on the TensorFlow backend)   ~600 MB
#   .venv-paddle  paddlepaddle (CPU)                                    ~500 MB
#   .venv-mxnet   mxnet 1.9.1, which needs numpy < 1.24 (np.bool)       ~150 MB
#
# Each gets caviar itself (core only, editable) and scikit-learn (the digits data).
# PyTorch, Keras (torch backend), Lightning, JAX and PyTensor go into .venv itself
# (`pip install -e ".[frameworks]"`). Usage:
#
#   bash examples/frameworks/setup_envs.sh            # all three
#   bash examples/frameworks/setup_envs.sh mxnet tf   # some
#
# A venv whose stamp file exists is left alone; delete the folder to rebuild it.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PY:-python3}"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(tf paddle mxnet)

for name in "${names[@]}"; do
  case "$name" in
    tf)     pkgs=("tensorflow-cpu>=2.16" "scikit-learn") ;;
    paddle) pkgs=("paddlepaddle>=2.6" "scikit-learn") ;;
    # caviar asks numpy>=1.26; mxnet 1.9.1 fails to import with numpy>=1.24 (np.bool), and
    # caviar's core runs on numpy 1.23, so caviar goes in with --no-deps beside its deps
    mxnet)  pkgs=("mxnet==1.9.1" "numpy<1.24" "scipy" "sqlalchemy>=2.0" "rich>=13" "click>=8.1"
                  "scikit-learn") ;;
    *) echo "setup_envs.sh: unknown framework '$name'; use tf, paddle or mxnet" >&2; exit 2 ;;
  esac
  venv=".venv-$name"
  if [ -f "$venv/.installed" ]; then
    echo "$venv: ready"
    continue
  fi
  echo "$venv: installing ${pkgs[*]}"
  test -x "$venv/bin/python" || "$PY" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  if [ "$name" = mxnet ]; then
    "$venv/bin/pip" install -q "${pkgs[@]}"
    "$venv/bin/pip" install -q --no-deps -e .
  else
    "$venv/bin/pip" install -q "${pkgs[@]}" -e .
  fi
  touch "$venv/.installed"
done

#!/usr/bin/env bash
# Creates .venv with Pelemay IR and its test tools; installs the Debian packages
# the tests need (C compilers, cross compilers, qemu) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# tool -> the Debian packages that provide it
need_apt=()
while read -r tool packages; do
  # shellcheck disable=SC2206  # split the package list on purpose
  command -v "$tool" >/dev/null 2>&1 || need_apt+=($packages)
done <<'TOOLS'
gcc gcc
clang-16 clang-16 libclang-rt-16-dev
opt-16 llvm-16
aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross
arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
arm-none-eabi-gcc gcc-arm-none-eabi libnewlib-arm-none-eabi
qemu-aarch64 qemu-user
qemu-system-arm qemu-system-arm
TOOLS
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_apt[*]} (compilers, cross compilers and qemu that the tests build and run with; a few minutes)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
echo "setup: installing Pelemay IR and its test tools into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

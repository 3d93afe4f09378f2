#!/bin/sh
# Builds semver.wasm from semver.c and semver.manifest with Debian's clang and lld
# (`apt-get install clang lld`). The built semver.wasm is checked in, so the tests and CI do
# not need clang.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -O2 -nostdlib -ffreestanding \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all \
  -o semver.wasm semver.c
# The manifest travels inside the module, as the custom section `cairn.manifest`.
llvm-objcopy --add-section cairn.manifest=semver.manifest semver.wasm
echo "built $(pwd)/semver.wasm ($(wc -c < semver.wasm) bytes)"

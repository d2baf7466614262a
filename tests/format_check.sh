#!/bin/sh
# format_check.sh CLANG_FORMAT SRC_ROOT — every C file is as .clang-format says.
set -eu
cd "$2"
files=$(find src include tests fuzz bench -name '*.[ch]' | sort)
"$1" --dry-run --Werror $files

# Thin wrapper over Meson + Ninja. The README's two commands are `make run`
# and `make test`; both install what is missing first (scripts/deps.sh).
#   make         build into build/ (the CLI is build/mamori)
#   make test    build with AddressSanitizer + UBSan into build-asan/ and run every test
#   make bench   release build into build-release/, print `name: value unit` lines
#   make fuzz    libFuzzer targets (clang) into build-fuzz/, each run for FUZZ_SECONDS
#   make run     create the demo database (var/mamori.db) if none, serve on 127.0.0.1:8080
#   make demo    ask the decision point the usual questions under each profile (CLI)

FUZZ_SECONDS ?= 30
MESON ?= meson
NINJA ?= ninja

.PHONY: all deps run demo test bench fuzz clean format

all: deps build/build.ninja
	$(NINJA) -C build

deps:
	@./scripts/deps.sh

build/build.ninja:
	$(MESON) setup build

build-asan/build.ninja:
	$(MESON) setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

build-release/build.ninja:
	$(MESON) setup build-release -Dbuildtype=release -Dtests=false

build-fuzz/build.ninja:
	CC=clang $(MESON) setup build-fuzz -Dfuzz=true -Dtests=false -Dbuildtype=debugoptimized

test: deps build-asan/build.ninja build/build.ninja
	$(NINJA) -C build-asan
	@# the optimised build of `make run` too: -O2 finds warnings (-Werror) that -O0 does not
	$(NINJA) -C build
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C build-asan --print-errorlogs --num-processes 2

bench: deps build-release/build.ninja
	$(NINJA) -C build-release
	./bench/run.sh build-release

fuzz: deps build-fuzz/build.ninja
	$(NINJA) -C build-fuzz
	./fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

run: all
	./scripts/run.sh build/mamori

demo: all
	./scripts/decide-demo.sh build/mamori

clean:
	rm -rf build build-asan build-release build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

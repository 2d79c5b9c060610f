# Entry points: `make` builds, `make test` runs every test, `make demo` runs
# a GPU container end to end, `make install` installs. Every target first
# installs missing packages.

BUILD     ?= build
BUILD_SAN ?= build-san
MESON     ?= meson
PREFIX    ?= /usr/local
DESTDIR   ?=

.PHONY: all deps build build-san test unit-test e2e-test install-test install demo clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	@$(MESON) setup $(BUILD) >/dev/null

$(BUILD_SAN)/build.ninja: | deps
	@$(MESON) setup $(BUILD_SAN) -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug >/dev/null

build: deps $(BUILD)/build.ninja
	@$(MESON) compile -C $(BUILD) >/dev/null || $(MESON) compile -C $(BUILD)

build-san: deps $(BUILD_SAN)/build.ninja
	@$(MESON) compile -C $(BUILD_SAN) >/dev/null || $(MESON) compile -C $(BUILD_SAN)

# Unit tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
unit-test: build-san
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON) test -C $(BUILD_SAN) --suite unit --print-errorlogs

# End-to-end tests on a real dockerd; NVD_E2E_BUILD=build-san runs them with
# the sanitized programs.
e2e-test: build
	@tests/e2e/run $(or $(NVD_E2E_BUILD),$(BUILD))

# make install into a temporary DESTDIR, then checks of what it installed.
install-test: build
	@tests/install/test-install.sh $(BUILD)

test: unit-test fuzz-smoke install-test e2e-test

# Install into $(DESTDIR)$(PREFIX). PREFIX becomes the meson prefix of
# $(BUILD), which rebuilds little (nvd-sim has its data directory built in)
# when it changes. Without DESTDIR, as root, meson also runs ldconfig and
# creates the system user nvidia-docker (packaging/post-install).
install: deps $(BUILD)/build.ninja
	@$(MESON) configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	@$(MESON) compile -C $(BUILD) >/dev/null || $(MESON) compile -C $(BUILD)
	@DESTDIR="$(if $(DESTDIR),$(abspath $(DESTDIR)))" $(MESON) install -C $(BUILD) --no-rebuild
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -ne 0 ]; then \
		echo "install: not root, so ldconfig did not run and the user nvidia-docker" \
			"was not created; README.md, section Installing, shows both steps" >&2; \
	fi

# libFuzzer targets (fuzz/), built with clang under ASan and UBSan.
# fuzz-run runs each for FUZZ_SECONDS from fuzz/corpus; make test runs
# fuzz-smoke, 2 s each, so a target that stops building or a seed that
# crashes fails the tests.
BUILD_FUZZ   ?= build-fuzz
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-run fuzz-smoke

fuzz: deps
	@fuzz/build $(BUILD_FUZZ) >/dev/null

fuzz-run: fuzz build
	@fuzz/run $(FUZZ_SECONDS) $(BUILD_FUZZ) $(BUILD)

fuzz-smoke: fuzz build
	@fuzz/run 2 $(BUILD_FUZZ) $(BUILD) >/dev/null && echo "fuzz smoke: every target ran 2 s"

demo: build
	@scripts/demo $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)

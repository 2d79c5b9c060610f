# Entry points: `make` builds, `make test` runs every test, `make demo` runs
# a GPU container end to end. Every target first installs missing packages.

BUILD     ?= build
BUILD_SAN ?= build-san
MESON     ?= meson

.PHONY: all deps build build-san test unit-test e2e-test demo clean

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

test: unit-test e2e-test

demo: build
	@scripts/demo $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

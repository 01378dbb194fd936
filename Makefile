# ringproxy: build, run, test and benchmark.
#   make deps      install missing Debian packages (needs root only if some are missing)
#   make build     release build (.build/release/ringproxy)
#   make run       demo: three backends on 127.0.0.1:9001-9003, ringproxy on :8080, live traffic
#   make test      debug build + swift test (RINGPROXY_BIN = the debug binary)
#   make bench     release build + bench/run.sh (ringproxy vs HAProxy vs nginx stream)
#   make install   copy the release binary to $(PREFIX)/bin (PREFIX=/usr/local)
#   make clean     remove build products and benchmark results

SWIFT   ?= swift
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
RELEASE_BIN := .build/release/ringproxy

# Needed to build; the rest for `make run`, `make bench` and the end-to-end tests.
BUILD_PKGS := liburing-dev libssl-dev pkg-config
TOOL_PKGS  := nginx libnginx-mod-stream haproxy wrk iperf3 curl python3

.PHONY: all deps build run test bench install clean

all: build

deps:
	@bench/deps.sh $(BUILD_PKGS) $(TOOL_PKGS)

build: deps
	$(SWIFT) build -c release

run: build
	RINGPROXY_BIN=$(RELEASE_BIN) bench/demo.sh

test: deps
	$(SWIFT) build
	RINGPROXY_BIN="$$($(SWIFT) build --show-bin-path)/ringproxy" $(SWIFT) test

bench: build
	RINGPROXY_BIN="$${RINGPROXY_BIN:-$(RELEASE_BIN)}" bench/run.sh

install: build
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 0755 $(RELEASE_BIN) "$(DESTDIR)$(BINDIR)/ringproxy"

clean:
	rm -rf .build bench/results

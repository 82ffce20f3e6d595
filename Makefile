# SPDX-License-Identifier: MIT
# vmedium — build, run, test.
#   sudo make run     the lab: an AP and two stations in ns0/ns1/ns2 (10.0.0.1–3/24)
#   make test         every test: unit, integration (root), VM (root + QEMU)
#   make bench        Go benchmarks + the iperf3 lab benchmark (root)

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin
GOFLAGS_STATIC := CGO_ENABLED=0

.PHONY: all build install run test test-unit test-root test-vm setup-test bench bench-go bench-lab bench-vm \
        lint fuzz vm-bins kmod clean

all: build

build:
	$(GOFLAGS_STATIC) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vmedium ./cmd/vmedium
	$(GOFLAGS_STATIC) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vmctl ./cmd/vmctl

# Installs vmedium and vmctl into $(DESTDIR)$(PREFIX)/bin and links
# wmediumd to vmedium there: invoked under that name, vmedium is the wmediumd
# drop-in (wmediumd -c FILE, as hostap's tests and mininet-wifi run it).
PREFIX  ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/vmedium $(BIN)/vmctl $(DESTDIR)$(PREFIX)/bin/
	ln -sf vmedium $(DESTDIR)$(PREFIX)/bin/wmediumd

# The lab. Extra flags: make run ARGS='--config examples/two-aps.yaml'
run: build
	./$(BIN)/vmedium run $(ARGS)

# Every test, in three rungs (internal/testutil is the ladder in code):
#   test-unit  as any user, needs nothing but Go: go vet (also for darwin:
#              the pure packages build anywhere), every test with -race
#              except the root ones (named TestRoot…), then the allocation
#              budgets (Test…Allocs) in a pass without -race, which would
#              distort them.
#   test-root  the root tests on this machine: real labs in network
#              namespaces with TAP radios; as non-root each skips by name.
#   test-vm    the real Wi-Fi stack (mac80211_hwsim, vmedium.ko, hostapd,
#              wpa_supplicant) in QEMU guests booting Debian's kernel.
# As root, setup-test first installs the tools the tests use (tshark,
# iperf3, ethtool) from Debian's packages.
test: setup-test test-unit test-root test-vm

setup-test:
	@bash tests/setup.sh

test-unit:
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./frames/ ./denylist/ ./medium/
	$(GO) test -race -count=1 -timeout 20m -skip '^(TestRoot|BenchmarkRoot)' ./...
	$(GO) test -count=1 -timeout 10m -run 'Allocs$$' ./...

test-root:
	$(GO) test -race -count=1 -timeout 20m -run '^TestRoot' ./...

test-vm: vm-bins
	@bash tests/vm/run-all.sh

vm-bins:
	@mkdir -p tests/vm/out/bin
	$(GOFLAGS_STATIC) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o tests/vm/out/bin/vmedium ./cmd/vmedium
	$(GOFLAGS_STATIC) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o tests/vm/out/bin/vmctl ./cmd/vmctl

bench: bench-go bench-lab

bench-go:
	$(GO) test -run XXX -bench . -benchmem ./medium/... ./frames/... ./denylist/ ./sta/ ./ap/

bench-lab: build
	$(GOFLAGS_STATIC) $(GO) build -trimpath -o $(BIN)/taprelay ./tests/bench/taprelay
	@bash tests/bench/lab-iperf.sh

bench-vm: vm-bins
	@bash tests/vm/run.sh tests/vm/scenarios/hwsim-bench.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

# Each fuzz target for 60 s (FUZZTIME=10m for longer).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./frames/
	$(GO) test -run XXX -fuzz '^FuzzEAPOLKey$$' -fuzztime $(FUZZTIME) ./frames/rsn/
	$(GO) test -run XXX -fuzz '^FuzzCCMPDecrypt$$' -fuzztime $(FUZZTIME) ./frames/rsn/
	$(GO) test -run XXX -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./medium/control/
	$(GO) test -run XXX -fuzz '^FuzzMACDeliver$$' -fuzztime $(FUZZTIME) ./ap/
	$(GO) test -run XXX -fuzz '^FuzzAPDeliverWDS$$' -fuzztime $(FUZZTIME) ./ap/
	$(GO) test -run XXX -fuzz '^FuzzSTADeliverWDS$$' -fuzztime $(FUZZTIME) ./sta/
	$(GO) test -run XXX -fuzz '^FuzzWDSData$$' -fuzztime $(FUZZTIME) ./frames/
	$(GO) test -run XXX -fuzz '^FuzzHandleDatagram$$' -fuzztime $(FUZZTIME) ./medium/hwsim/
	$(GO) test -run XXX -fuzz '^FuzzHandleDatagramAir$$' -fuzztime $(FUZZTIME) ./medium/hwsim/
	$(GO) test -run XXX -fuzz '^FuzzDecodeEvent$$' -fuzztime $(FUZZTIME) ./medium/kmod/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./medium/wmediumd/libconfig/
	$(GO) test -run XXX -fuzz '^FuzzParsePERTable$$' -fuzztime $(FUZZTIME) ./medium/wmediumd/
	$(GO) test -run XXX -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./medium/wmediumd/
	$(GO) test -run XXX -fuzz '^FuzzServeConn$$' -fuzztime $(FUZZTIME) ./medium/wmediumd/dropin/
	$(GO) test -run XXX -fuzz '^FuzzHandle$$' -fuzztime $(FUZZTIME) ./medium/dhcp/
	$(GO) test -run XXX -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./medium/guest/wire/
	$(GO) test -run XXX -fuzz '^FuzzConnRead$$' -fuzztime $(FUZZTIME) ./medium/guest/transport/

kmod:
	$(MAKE) -C kmod

clean:
	rm -rf $(BIN) tests/vm/out
	-$(MAKE) -C kmod clean

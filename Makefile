# Building, installing and packaging kfpolicy. SwiftPM does the building; this file only
# drives it and lays out the installed files.
#
#   make                        release binary, the Swift standard library linked in statically
#   make install PREFIX=DIR     binary, man page, bash/zsh/fish completions, shipped policies
#   make uninstall PREFIX=DIR   removes exactly what install put there
#   make deb                    kfpolicy_VERSION_ARCH.deb, built with dpkg-deb
#
# The release build lives in its own scratch directory (.build-install), so it never rebuilds
# the debug build of `swift build` and `swift test`, nor they it.

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
DATADIR = $(PREFIX)/share/kfpolicy
DOCDIR = $(PREFIX)/share/doc/kfpolicy
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d

STAGE := .build-install
BUILD_FLAGS := -c release --static-swift-stdlib --disable-local-rpath --scratch-path $(STAGE)
BIN := $(STAGE)/release/kfpolicy
# The man page's date: the last commit's, so that the same sources give the same page.
MAN_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null || echo 1970-01-01)

.PHONY: all build man completions install uninstall deb clean

all: build

build:
	$(SWIFT) build $(BUILD_FLAGS) --product kfpolicy
	@# No Swift runtime may be linked dynamically: the binary must run without a toolchain.
	@if ldd $(BIN) | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/swift/'; then \
		echo "make: $(BIN) links the Swift runtime dynamically" >&2; exit 1; fi

# swift-argument-parser's generate-manual tool writes the page from the tool's own help. It is
# the tool the package's GenerateManual plugin runs; run directly, because the plugin first
# builds every product of the package with its own flags, which relinks kfpolicy without the
# static standard library (and took 18 minutes here). Blank lines between paragraphs become
# .Pp, which mdoc wants.
man: build
	$(SWIFT) build $(BUILD_FLAGS) --product generate-manual
	mkdir -p $(STAGE)/man
	$(STAGE)/release/generate-manual $(BIN) --date $(MAN_DATE) --output-directory $(STAGE)/man
	sed -i 's/^$$/.Pp/' $(STAGE)/man/kfpolicy.1
	gzip -9nf $(STAGE)/man/kfpolicy.1

completions: build
	mkdir -p $(STAGE)/completions
	$(BIN) --generate-completion-script bash > $(STAGE)/completions/kfpolicy
	$(BIN) --generate-completion-script zsh > $(STAGE)/completions/_kfpolicy
	$(BIN) --generate-completion-script fish > $(STAGE)/completions/kfpolicy.fish

# The policies go to share/kfpolicy/policies (where `--policy NAME` finds them), with any
# directory they include from; the examples to the documentation.
install: build man completions
	install -D -m 755 -s $(BIN) $(DESTDIR)$(BINDIR)/kfpolicy
	install -D -m 644 $(STAGE)/man/kfpolicy.1.gz $(DESTDIR)$(MANDIR)/kfpolicy.1.gz
	install -D -m 644 $(STAGE)/completions/kfpolicy $(DESTDIR)$(BASH_COMPLETION_DIR)/kfpolicy
	install -D -m 644 $(STAGE)/completions/_kfpolicy $(DESTDIR)$(ZSH_COMPLETION_DIR)/_kfpolicy
	install -D -m 644 $(STAGE)/completions/kfpolicy.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/kfpolicy.fish
	install -d $(DESTDIR)$(DATADIR)/policies $(DESTDIR)$(DOCDIR)
	install -m 644 Policies/*.policy $(DESTDIR)$(DATADIR)/policies/
	for d in $$(cd Policies && find . -mindepth 1 -type d ! -path './examples*'); do \
		install -d $(DESTDIR)$(DATADIR)/policies/$$d && \
		install -m 644 Policies/$$d/*.policy $(DESTDIR)$(DATADIR)/policies/$$d/; done
	rm -rf $(DESTDIR)$(DOCDIR)/examples && cp -R Policies/examples $(DESTDIR)$(DOCDIR)/examples
	chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/examples
	install -m 644 README.md docs/language.md docs/diagnostics.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kfpolicy $(DESTDIR)$(MANDIR)/kfpolicy.1.gz
	rm -f $(DESTDIR)$(BASH_COMPLETION_DIR)/kfpolicy $(DESTDIR)$(ZSH_COMPLETION_DIR)/_kfpolicy
	rm -f $(DESTDIR)$(FISH_COMPLETION_DIR)/kfpolicy.fish
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# The package: the files `make install PREFIX=/usr` lays out, and a control file whose
# Depends dpkg-shlibdeps derives from the libraries the binary links (scripts/deb-control.sh).
DEB_ROOT := $(STAGE)/deb/debian/kfpolicy

deb: build
	rm -rf $(STAGE)/deb
	$(MAKE) install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr ZSH_COMPLETION_DIR=/usr/share/zsh/vendor-completions
	scripts/deb-control.sh $(STAGE)/deb > $(STAGE)/control
	install -D -m 644 $(STAGE)/control $(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) \
		kfpolicy_$$(sed -n 's/^Version: //p' $(STAGE)/control)_$$(dpkg --print-architecture).deb

clean:
	rm -rf $(STAGE) kfpolicy_*.deb

# kfpolicy.mk: regenerate kfpolicy headers from make.
#
# Set these, then `include kfpolicy.mk`:
#   KFPOLICY_POLICIES  the policy files (paths as make sees them)
#   KFPOLICY           the kfpolicy command           (default: kfpolicy)
#   KFPOLICY_OUT       the folder the headers go to   (default: generated)
#   KFPOLICY_FLAGS     more options for `kfpolicy gen` (default: none)
# It defines KFPOLICY_HEADERS, one $(KFPOLICY_OUT)/<stem>_kfpolicy.h per policy, for your rules
# to depend on.
#
# A header is remade when its policy or any file the policy includes changes, and not
# otherwise: `kfpolicy gen --depfile` writes a make rule listing every file it read, and the
# -include below reads those rules back, as gcc -MD -MP does for C. kfpolicy writes a header only
# when its bytes change; the rule touches it anyway so that make sees it is newer than its inputs
# and does not run kfpolicy again on every build.

KFPOLICY ?= kfpolicy
KFPOLICY_OUT ?= generated
KFPOLICY_FLAGS ?=

kfpolicy_stem = $(basename $(notdir $(1)))
kfpolicy_header = $(KFPOLICY_OUT)/$(call kfpolicy_stem,$(1))_kfpolicy.h
kfpolicy_depfile = $(KFPOLICY_OUT)/.$(call kfpolicy_stem,$(1))_kfpolicy.h.d

KFPOLICY_HEADERS := $(foreach p,$(KFPOLICY_POLICIES),$(call kfpolicy_header,$(p)))

define kfpolicy_rule
$(call kfpolicy_header,$(1)): $(1)
	$$(KFPOLICY) gen $(1) -o $(KFPOLICY_OUT) --depfile $(call kfpolicy_depfile,$(1)) $$(KFPOLICY_FLAGS)
	@touch $$@
endef
$(foreach p,$(KFPOLICY_POLICIES),$(eval $(call kfpolicy_rule,$(p))))

# What each header was made from (absent before the first build, which makes every header).
-include $(foreach p,$(KFPOLICY_POLICIES),$(call kfpolicy_depfile,$(p)))

/* A scheduler that binds no callback: the kernel's default for each runs. Nothing to check, and
 * nothing to warn about. */
#include "scx_common.bpf.h"

char _license[] SEC("license") = "GPL";

SCX_OPS_DEFINE(defaults_ops,
	       .name			= "defaults");

// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_testmod: a module-defined struct_ops interface (struct kfp_testmod_ops) whose kfunc
 * sets, context words and verifier filter come from the header kfpolicy generates from
 * Policies/examples/testmod.policy. It exists to be built, not loaded: KbuildTests.swift
 * builds it against the kernel headers with -Werror and reads .BTF_ids back.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/slab.h>

/* What the kfuncs hand out; BPF programs see it through BTF. */
struct kfp_testmod_buf {
	u64 sector;
	u32 len;
	int status;
};

/* The interface. Callback members in the policy's order, then data members. */
struct kfp_testmod_ops {
	int (*init)(void);
	int (*submit)(struct kfp_testmod_buf *buf);
	void (*complete)(struct kfp_testmod_buf *buf, int status);
	void (*report)(u64 nr_done);
	u32 flags;
	char name[16];
};

#include "testmod_kfpolicy.h"

/* The instance the (hypothetical) subsystem would run; set by reg, cleared by unreg. */
static struct kfp_testmod_ops *kfp_testmod_active;
static atomic64_t kfp_testmod_queued = ATOMIC64_INIT(0);
static atomic64_t kfp_testmod_deferred = ATOMIC64_INIT(0);

__bpf_kfunc_start_defs();

KFP_TESTMOD_KFP_KFUNC(kfp_testmod_alloc)
struct kfp_testmod_buf *kfp_testmod_alloc(u32 len)
{
	struct kfp_testmod_buf *buf = kzalloc(sizeof(*buf), GFP_ATOMIC);

	if (buf)
		buf->len = len;
	return buf;
}

KFP_TESTMOD_KFP_KFUNC(kfp_testmod_release)
void kfp_testmod_release(struct kfp_testmod_buf *buf)
{
	kfree(buf);
}

KFP_TESTMOD_KFP_KFUNC(kfp_testmod_wait)
int kfp_testmod_wait(void)
{
	might_sleep();
	return atomic64_read(&kfp_testmod_queued) ? -EBUSY : 0;
}

KFP_TESTMOD_KFP_KFUNC(kfp_testmod_insert)
void kfp_testmod_insert(struct kfp_testmod_buf *buf)
{
	buf->status = 0;
	atomic64_inc(&kfp_testmod_queued);
}

/* The implementation of kfp_testmod_insert in ops.complete (the policy's `impl`). */
__bpf_kfunc void kfp_testmod_insert_deferred(struct kfp_testmod_buf *buf)
{
	buf->status = -EINPROGRESS;
	atomic64_inc(&kfp_testmod_deferred);
}

KFP_TESTMOD_KFP_KFUNC(kfp_testmod_resubmit)
int kfp_testmod_resubmit(struct kfp_testmod_buf *buf)
{
	struct kfp_testmod_ops *ops = READ_ONCE(kfp_testmod_active);

	/* The nesting the policy declares: ops.complete -> this kfunc -> ops.submit. */
	if (!ops || !ops->submit)
		return -ENODEV;
	return ops->submit(buf);
}

__bpf_kfunc_end_defs();

/* struct_ops plumbing: enough for register_bpf_struct_ops() to accept the interface. */

static int kfp_testmod_stub_init(void) { return 0; }
static int kfp_testmod_stub_submit(struct kfp_testmod_buf *buf) { return 0; }
static void kfp_testmod_stub_complete(struct kfp_testmod_buf *buf, int status) {}
static void kfp_testmod_stub_report(u64 nr_done) {}

static struct kfp_testmod_ops kfp_testmod_cfi_stubs = {
	.init = kfp_testmod_stub_init,
	.submit = kfp_testmod_stub_submit,
	.complete = kfp_testmod_stub_complete,
	.report = kfp_testmod_stub_report,
};

static const struct bpf_func_proto *
kfp_testmod_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static bool kfp_testmod_is_valid_access(int off, int size, enum bpf_access_type type,
					const struct bpf_prog *prog,
					struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_verifier_ops kfp_testmod_verifier_ops = {
	.get_func_proto = kfp_testmod_get_func_proto,
	.is_valid_access = kfp_testmod_is_valid_access,
};

static int kfp_testmod_st_init(struct btf *btf)
{
	return 0;
}

/* Only callbacks the policy declares sleepable may be sleepable programs. */
static int kfp_testmod_check_member(const struct btf_type *t, const struct btf_member *member,
				    const struct bpf_prog *prog)
{
	u32 op = __btf_member_bit_offset(t, member) / 8 / sizeof(void (*)(void));

	if (op >= KFP_TESTMOD_KFP_NR_OPS)
		return -EINVAL;
	if (prog->sleepable && !(kfp_testmod_kfp_op_ctx[op] & KFP_TESTMOD_KFP_CB_SLEEPABLE))
		return -EINVAL;
	return 0;
}

static int kfp_testmod_init_member(const struct btf_type *t, const struct btf_member *member,
				   void *kdata, const void *udata)
{
	const struct kfp_testmod_ops *uops = udata;
	struct kfp_testmod_ops *ops = kdata;

	switch (__btf_member_bit_offset(t, member) / 8) {
	case offsetof(struct kfp_testmod_ops, flags):
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct kfp_testmod_ops, name):
		if (!memchr(uops->name, '\0', sizeof(uops->name)))
			return -EINVAL;
		memcpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	}
	return 0;
}

static int kfp_testmod_reg(void *kdata, struct bpf_link *link)
{
	return cmpxchg(&kfp_testmod_active, NULL, kdata) ? -EEXIST : 0;
}

static void kfp_testmod_unreg(void *kdata, struct bpf_link *link)
{
	cmpxchg(&kfp_testmod_active, kdata, NULL);
}

static struct bpf_struct_ops kfp_testmod_bpf_ops = {
	.verifier_ops = &kfp_testmod_verifier_ops,
	.init = kfp_testmod_st_init,
	.check_member = kfp_testmod_check_member,
	.init_member = kfp_testmod_init_member,
	.reg = kfp_testmod_reg,
	.unreg = kfp_testmod_unreg,
	.cfi_stubs = &kfp_testmod_cfi_stubs,
	.name = "kfp_testmod_ops",
	.owner = THIS_MODULE,
};

/*
 * Code for the header's inline functions the module does not call itself (guards,
 * instance check, implementation lookup), so that warnings which need code generation
 * are checked as well. Never called.
 */
static int __used kfp_testmod_instantiate(const u64 *implemented,
					  const u64 (*calls)[KFP_TESTMOD_KFP_KFUNC_WORDS],
					  struct kfp_testmod_kfp_path *path)
{
	u32 cur = 0;
	int ret = 0;

	if (kfp_testmod_kfp_enter(&cur, KFP_TESTMOD_KFP_CTX_COMPLETE)) {
		ret += kfp_testmod_kfp_allowed(cur, KFP_TESTMOD_KFP_CTXW_KFP_TESTMOD_RESUBMIT);
		kfp_testmod_kfp_leave(&cur, KFP_TESTMOD_KFP_CTX_COMPLETE);
	}
	ret += kfp_testmod_kfp_check_instance(implemented, calls, path);
	ret += kfp_testmod_kfp_impl_lookup(KFP_TESTMOD_KFP_OP_COMPLETE,
					   KFP_TESTMOD_KFP_K_KFP_TESTMOD_INSERT);
	return ret;
}

static int __init kfp_testmod_init(void)
{
	int ret = kfp_testmod_register_kfunc_sets();

	if (ret)
		return ret;
	return register_bpf_struct_ops(&kfp_testmod_bpf_ops, kfp_testmod_ops);
}

static void __exit kfp_testmod_exit(void)
{
	/* Module struct_ops types and kfunc sets go away with the module's BTF. */
}

module_init(kfp_testmod_init);
module_exit(kfp_testmod_exit);
MODULE_DESCRIPTION("kfpolicy build test: a module-defined struct_ops with generated kfunc sets");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * kfp_testmod: a module-defined struct_ops interface (struct kfp_testmod_ops) whose kfunc
 * sets, context words, verifier filter, nesting checks and implementation table come from
 * the header kfpolicy generates from Policies/examples/testmod.policy.
 *
 * KbuildTests.swift builds it against the kernel headers with -Werror and reads .BTF_ids
 * back; scripts/e2e-kernel.sh loads it into Linux 6.12 in qemu (never into the build
 * machine's kernel) and runs BPF programs against it. Every generated part has a caller
 * here: the filter (through the kfunc sets), the sleepable rule in check_member, the
 * instance check when a struct_ops map is registered (check_member records the kfuncs each
 * program calls, init_member learns which program each callback of the map binds, validate
 * runs the check), and the run-time guards and implementation table in the kfuncs, which
 * run while kfp_testmod_kick() drives the registered instance's callbacks.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

/* What the kfuncs hand out; BPF programs see it through BTF. */
struct kfp_testmod_buf {
	u64 sector;
	u32 len;
	int status;
};

/*
 * The interface. Data members sit before and between the callbacks, as in the kernel's
 * own tcp_congestion_ops, so a callback's member index (what 6.12 keeps in
 * prog->expected_attach_type) differs from its slot (offset / pointer size).
 */
struct kfp_testmod_ops {
	char name[16];
	int (*init)(void);
	int (*submit)(struct kfp_testmod_buf *buf);
	u32 flags;
	void (*complete)(struct kfp_testmod_buf *buf, int status);
	void (*report)(u64 nr_done);
};

#include "testmod_kfpolicy.h"

/*
 * Glue: the names of the generated header this file uses, in one place, so that a change of
 * the generator's naming is one edit here.
 */
#define TM_NR_OPS		KFP_TESTMOD_NR_OPS
#define TM_NR_KFUNCS		KFP_TESTMOD_NR_KFUNCS
#define TM_OP(member)		KFP_TESTMOD_OP(member)
#define TM_K(name)		KFP_TESTMOD_KFUNC_##name
#define TM_IMPL_INSERT_DEFERRED	KFP_TESTMOD_IMPL_INSERT_DEFERRED
#define tm_kfunc_btf_ids	kfp_testmod_kfunc_btf_ids
#define tm_instance		kfp_testmod_instance
#define tm_op_contexts		kfp_testmod_op_contexts
#define tm_init_btf		kfp_testmod_init_btf
#define tm_check_member		kfp_testmod_check_member
#define tm_enter		kfp_testmod_enter
#define tm_leave		kfp_testmod_leave
#define tm_allowed		kfp_testmod_allowed
#define tm_running		kfp_testmod_running
#define tm_check_instance	kfp_testmod_check_instance
#define tm_insert_impl		kfp_testmod_insert_impl
#define tm_register_kfunc_sets	kfp_testmod_register_kfunc_sets

/* What kfp_testmod_kick() reports, index by index. */
enum kfp_testmod_stat {
	KFP_TESTMOD_STAT_RUNS,		/* callbacks run */
	KFP_TESTMOD_STAT_QUEUED,	/* kfp_testmod_insert() queued a request */
	KFP_TESTMOD_STAT_DEFERRED,	/* ... or its ops.complete implementation deferred it */
	KFP_TESTMOD_STAT_NEST_REFUSED,	/* the guards refused to run a callback nested */
	KFP_TESTMOD_STAT_KFUNC_REFUSED,	/* the guards refused a kfunc at run time */
	KFP_TESTMOD_NR_STATS
};

/* The instance the (hypothetical) subsystem runs; set by reg, cleared by unreg. */
static struct kfp_testmod_ops *kfp_testmod_active;
/*
 * The running callbacks' contexts and the innermost running op, for the guards and the
 * implementation table. A subsystem keeps these per task (6.12's sched_ext keeps the
 * contexts in current->scx.kf_mask); kfp_testmod_kick() runs one instance at a time.
 */
static struct tm_running kfp_testmod_cur;
static u32 kfp_testmod_cur_op = U32_MAX;
static atomic_t kfp_testmod_busy = ATOMIC_INIT(0);
static u64 kfp_testmod_stats[KFP_TESTMOD_NR_STATS];

/* May kfunc k run now? Outside callbacks the verifier's program-type sets decided. */
static bool kfp_testmod_guard(u32 k)
{
	if (!kfp_testmod_cur.ctx || tm_allowed(&kfp_testmod_cur, k))
		return true;
	kfp_testmod_stats[KFP_TESTMOD_STAT_KFUNC_REFUSED]++;
	return false;
}

static int kfp_testmod_run_op(struct kfp_testmod_ops *ops, u32 op, struct kfp_testmod_buf *buf);

/* The body of kfunc k, which runs callback op of the registered instance before it returns. */
static int kfp_testmod_invoke(u32 k, u32 op, struct kfp_testmod_buf *buf)
{
	struct kfp_testmod_ops *ops = READ_ONCE(kfp_testmod_active);

	if (!kfp_testmod_guard(k))
		return -EPERM;
	return ops ? kfp_testmod_run_op(ops, op, buf) : -ENODEV;
}

__bpf_kfunc_start_defs();

__bpf_kfunc struct kfp_testmod_buf *kfp_testmod_alloc(u32 len)
{
	struct kfp_testmod_buf *buf;

	if (!kfp_testmod_guard(TM_K(ALLOC)))
		return NULL;
	buf = kzalloc(sizeof(*buf), GFP_ATOMIC);
	if (buf)
		buf->len = len;
	return buf;
}

__bpf_kfunc void kfp_testmod_release(struct kfp_testmod_buf *buf)
{
	kfp_testmod_guard(TM_K(RELEASE));
	kfree(buf); /* even when refused: the verifier counted on the release */
}

__bpf_kfunc int kfp_testmod_wait(void)
{
	if (!kfp_testmod_guard(TM_K(WAIT)))
		return -EPERM;
	might_sleep();
	return 0;
}

/* The implementation of kfp_testmod_insert in ops.complete (the policy's `impl`). */
__bpf_kfunc void kfp_testmod_insert_deferred(struct kfp_testmod_buf *buf)
{
	buf->status = -EINPROGRESS;
	kfp_testmod_stats[KFP_TESTMOD_STAT_DEFERRED]++;
}

__bpf_kfunc void kfp_testmod_insert(struct kfp_testmod_buf *buf)
{
	u32 op = kfp_testmod_cur_op;

	if (!kfp_testmod_guard(TM_K(INSERT)))
		return;
	if (op != U32_MAX && tm_insert_impl(op) == TM_IMPL_INSERT_DEFERRED) {
		kfp_testmod_insert_deferred(buf);
		return;
	}
	buf->status = 0;
	kfp_testmod_stats[KFP_TESTMOD_STAT_QUEUED]++;
}

__bpf_kfunc int kfp_testmod_resubmit(struct kfp_testmod_buf *buf)
{
	/* The nesting the policy declares: ops.complete -> this kfunc -> ops.submit. */
	return kfp_testmod_invoke(TM_K(RESUBMIT), TM_OP(submit), buf);
}

__bpf_kfunc int kfp_testmod_complete_now(struct kfp_testmod_buf *buf)
{
	return kfp_testmod_invoke(TM_K(COMPLETE_NOW), TM_OP(complete), buf);
}

__bpf_kfunc int kfp_testmod_kick(u64 *stats, u32 stats__sz)
{
	struct kfp_testmod_ops *ops = READ_ONCE(kfp_testmod_active);
	struct kfp_testmod_buf buf = { .sector = 8, .len = 512 };
	unsigned int i;

	if (!ops)
		return -ENODEV;
	if (atomic_xchg(&kfp_testmod_busy, 1))
		return -EBUSY;
	memset(kfp_testmod_stats, 0, sizeof(kfp_testmod_stats));
	kfp_testmod_run_op(ops, TM_OP(init), &buf);
	kfp_testmod_run_op(ops, TM_OP(submit), &buf);
	kfp_testmod_run_op(ops, TM_OP(complete), &buf);
	kfp_testmod_run_op(ops, TM_OP(report), &buf);
	for (i = 0; i < KFP_TESTMOD_NR_STATS && i < stats__sz / sizeof(u64); i++)
		stats[i] = kfp_testmod_stats[i];
	atomic_set(&kfp_testmod_busy, 0);
	return 0;
}

__bpf_kfunc_end_defs();

/*
 * Run callback op of ops (if the instance implements it) inside the run-time guards. A
 * driver that completes a request synchronously runs ops.complete inside ops.submit: the
 * guards allow that only where the policy's nesting graph does, and count a refusal.
 */
static int kfp_testmod_run_op(struct kfp_testmod_ops *ops, u32 op, struct kfp_testmod_buf *buf)
{
	u32 saved = kfp_testmod_cur_op;
	struct tm_running saved_cur;
	int ret = 0;

	if (op == TM_OP(init) ? !ops->init : op == TM_OP(submit) ? !ops->submit :
	    op == TM_OP(complete) ? !ops->complete : !ops->report)
		return -ENOENT;
	if (!tm_enter(&kfp_testmod_cur, tm_op_contexts(op), &saved_cur)) {
		kfp_testmod_stats[KFP_TESTMOD_STAT_NEST_REFUSED]++;
		return -EDEADLK;
	}
	kfp_testmod_cur_op = op;
	kfp_testmod_stats[KFP_TESTMOD_STAT_RUNS]++;
	switch (op) {
	case TM_OP(init):
		ret = ops->init();
		break;
	case TM_OP(submit):
		ret = ops->submit(buf);
		kfp_testmod_run_op(ops, TM_OP(complete), buf);
		break;
	case TM_OP(complete):
		ops->complete(buf, 0);
		break;
	default:
		ops->report(1);
		break;
	}
	tm_leave(&kfp_testmod_cur, &saved_cur);
	kfp_testmod_cur_op = saved;
	return ret;
}

/* A function to trace: fentry.s programs may attach to it (see the fmodret set below). */
int kfp_testmod_trace_target(int x);
noinline int kfp_testmod_trace_target(int x)
{
	return x + 1;
}

BTF_SET8_START(kfp_testmod_fmodret_ids)
BTF_ID_FLAGS(func, kfp_testmod_trace_target, KF_SLEEPABLE)
BTF_SET8_END(kfp_testmod_fmodret_ids)

static const struct btf_kfunc_id_set kfp_testmod_fmodret_set = {
	.owner = THIS_MODULE,
	.set = &kfp_testmod_fmodret_ids,
};

/*
 * What the instance check needs to know about a struct_ops map: the kfuncs each checked
 * program calls (recorded by check_member, keyed by prog->aux, which stays put when the
 * verifier reallocates the program), and per map being registered the callbacks it binds.
 */
struct kfp_testmod_checked {
	const struct bpf_prog_aux *aux;
	DECLARE_BITMAP(calls, TM_NR_KFUNCS);
};

struct kfp_testmod_pending {
	const void *kdata;
	bool unknown; /* a callback's program was not seen by check_member: refuse */
	struct tm_instance inst;
};

static DEFINE_MUTEX(kfp_testmod_lock);
static struct kfp_testmod_checked kfp_testmod_checked[64];
static unsigned int kfp_testmod_checked_next;
static struct kfp_testmod_pending kfp_testmod_pending[4];

/*
 * The kfuncs of this module a program calls: before the verifier's fixups a kfunc call
 * holds the kfunc's BTF id in imm and, for a module's kfunc, a nonzero index of the
 * module's BTF in off. (The BTF behind off is not known here, so a kfunc of another module
 * with the same id would count too; the instance check then errs on the side of refusing.)
 */
static void kfp_testmod_record_calls(const struct bpf_prog *prog)
{
	struct kfp_testmod_checked *c;
	u32 i, k;

	mutex_lock(&kfp_testmod_lock);
	c = &kfp_testmod_checked[kfp_testmod_checked_next++ % ARRAY_SIZE(kfp_testmod_checked)];
	for (i = 0; i < ARRAY_SIZE(kfp_testmod_checked); i++)
		if (kfp_testmod_checked[i].aux == prog->aux)
			c = &kfp_testmod_checked[i];
	memset(c, 0, sizeof(*c));
	c->aux = prog->aux;
	for (i = 0; i < prog->len; i++) {
		const struct bpf_insn *insn = &prog->insnsi[i];

		if (insn->code != (BPF_JMP | BPF_CALL) || insn->src_reg != BPF_PSEUDO_KFUNC_CALL ||
		    !insn->off)
			continue;
		for (k = 0; k < TM_NR_KFUNCS; k++)
			if (tm_kfunc_btf_ids[k] == (u32)insn->imm)
				__set_bit(k, c->calls);
	}
	mutex_unlock(&kfp_testmod_lock);
}

/* The pending registration of map value kdata; a new one when reset. Lock held. */
static struct kfp_testmod_pending *kfp_testmod_pending_of(const void *kdata, bool reset)
{
	struct kfp_testmod_pending *p = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kfp_testmod_pending); i++) {
		if (kfp_testmod_pending[i].kdata == kdata)
			p = &kfp_testmod_pending[i];
		else if (!p && reset && !kfp_testmod_pending[i].kdata)
			p = &kfp_testmod_pending[i];
	}
	if (!p && reset)
		p = &kfp_testmod_pending[0]; /* all in use (failed registrations): reuse one */
	if (p && reset) {
		memset(p, 0, sizeof(*p));
		p->kdata = kdata;
	}
	return p;
}

/* Callback op of the map being registered binds program fd: note what it calls. */
static void kfp_testmod_bind(const void *kdata, u32 op, int fd)
{
	struct kfp_testmod_pending *p;
	struct bpf_prog *prog;
	unsigned int i;

	prog = bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_STRUCT_OPS, false);
	mutex_lock(&kfp_testmod_lock);
	p = kfp_testmod_pending_of(kdata, false);
	if (p && !IS_ERR(prog)) {
		p->unknown = true;
		for (i = 0; i < ARRAY_SIZE(kfp_testmod_checked); i++) {
			if (kfp_testmod_checked[i].aux != prog->aux)
				continue;
			p->unknown = false;
			bitmap_copy(p->inst.calls[op], kfp_testmod_checked[i].calls, TM_NR_KFUNCS);
			__set_bit(op, p->inst.ops);
		}
	}
	mutex_unlock(&kfp_testmod_lock);
	if (!IS_ERR(prog))
		bpf_prog_put(prog);
}

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
	tm_init_btf(btf); /* the filter tells this module's struct from colliding ones by it */
	return 0;
}

/* The policy's sleepable rule; then note the kfuncs the program calls. */
static int kfp_testmod_st_check_member(const struct btf_type *t, const struct btf_member *member,
				       const struct bpf_prog *prog)
{
	int ret = tm_check_member(t, member, prog);

	if (!ret)
		kfp_testmod_record_calls(prog);
	return ret;
}

static int kfp_testmod_init_member(const struct btf_type *t, const struct btf_member *member,
				   void *kdata, const void *udata)
{
	const struct kfp_testmod_ops *uops = udata;
	struct kfp_testmod_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct kfp_testmod_ops, name):
		/* The first member: a new registration of this map value starts. */
		if (!memchr(uops->name, '\0', sizeof(uops->name)))
			return -EINVAL;
		memcpy(ops->name, uops->name, sizeof(ops->name));
		mutex_lock(&kfp_testmod_lock);
		kfp_testmod_pending_of(kdata, true);
		mutex_unlock(&kfp_testmod_lock);
		return 1;
	case offsetof(struct kfp_testmod_ops, flags):
		ops->flags = uops->flags;
		return 1;
	}
	/* A callback: the kernel reads the program fd from udata after us. */
	if (*(const unsigned long *)(udata + moff))
		kfp_testmod_bind(kdata, moff / sizeof(void (*)(void)),
				 (int)*(const unsigned long *)(udata + moff));
	return 0;
}

/* Registration of a map checks the instance: its callbacks and kfuncs must not nest in a cycle. */
static int kfp_testmod_validate(void *kdata)
{
	struct kfp_testmod_pending *p;
	char msg[256] = "";
	int ret = -EINVAL;

	mutex_lock(&kfp_testmod_lock);
	p = kfp_testmod_pending_of(kdata, false);
	if (p && !p->unknown)
		ret = tm_check_instance(&p->inst, msg, sizeof(msg));
	if (p)
		p->kdata = NULL;
	mutex_unlock(&kfp_testmod_lock);
	if (ret == -EINVAL)
		pr_warn("kfp_testmod: instance refused: a callback's program was not checked\n");
	else if (ret)
		pr_warn("kfp_testmod: instance refused: nesting cycle: %s\n", msg);
	return ret;
}

static int kfp_testmod_reg(void *kdata, struct bpf_link *link)
{
	return cmpxchg(&kfp_testmod_active, NULL, kdata) ? -EEXIST : 0;
}

static void kfp_testmod_unreg(void *kdata, struct bpf_link *link)
{
	cmpxchg(&kfp_testmod_active, kdata, NULL);
}

/* struct_ops plumbing: the stubs give the trampolines their types. */
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

static struct bpf_struct_ops kfp_testmod_bpf_ops = {
	.verifier_ops = &kfp_testmod_verifier_ops,
	.init = kfp_testmod_st_init,
	.check_member = kfp_testmod_st_check_member,
	.init_member = kfp_testmod_init_member,
	.validate = kfp_testmod_validate,
	.reg = kfp_testmod_reg,
	.unreg = kfp_testmod_unreg,
	.cfi_stubs = &kfp_testmod_cfi_stubs,
	.name = "kfp_testmod_ops",
	.owner = THIS_MODULE,
};

static int __init kfp_testmod_init(void)
{
	int ret = tm_register_kfunc_sets();

	if (!ret)
		ret = register_btf_fmodret_id_set(&kfp_testmod_fmodret_set);
	if (!ret)
		ret = register_bpf_struct_ops(&kfp_testmod_bpf_ops, kfp_testmod_ops);
	return ret;
}

static void __exit kfp_testmod_exit(void)
{
	/* Module struct_ops types and kfunc sets go away with the module's BTF. */
}

module_init(kfp_testmod_init);
module_exit(kfp_testmod_exit);
MODULE_DESCRIPTION("kfpolicy test: a module-defined struct_ops with generated kfunc sets and checks");
MODULE_LICENSE("GPL");

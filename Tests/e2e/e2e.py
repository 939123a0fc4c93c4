#!/usr/bin/env python3
"""The glue of scripts/e2e-kernel.sh: plans the cases of the real-kernel test and reports them.

  e2e.py plan OUT POLICY=MATRIX.json... [rawtp:POLICY=FILE]
                                          write one BPF program per case (OUT/bpf/ID.bpf.c, only
                                          when it changed), the loader's manifest and OUT/cases.json
  e2e.py report OUT CONSOLE [NAME=VALUE...]  read the guest's console, print the table, exit 1 on
                                          any difference

Every expected verdict comes from `kfpolicy matrix --format json`, the model's load outcome of
each (caller, kfunc, sleepable or not), or, for raw_tracepoint programs (a type the matrix
leaves out when no set reaches it), from `kfpolicy explain POLICY KFUNC raw_tracepoint`. When the model says the call loads, the program is a
valid use of the kfunc (helper kfuncs it needs, such as kfp_testmod_alloc before
kfp_testmod_release, must load there too, which the plan checks). When the model says the
verifier refuses it, the program is that valid use if the kfunc is its first call, and
otherwise just calls the kfunc: the verifier decides permission and sleepability at the first
call it refuses, before it looks at arguments, so a wrong "allowed" still shows, as a load or
an argument error. Programs of interfaces that can be registered are registered when they load,
and syscall programs that load are run once with BPF_PROG_RUN.
"""
import json
import os
import re
import sys

# The struct_ops interfaces the cases use: module, BPF arguments of each callback, whether a
# map of it can be registered by the test (tcp_congestion_ops needs a whole algorithm).
INTERFACES = {
    "kfp_testmod_ops": {
        "callbacks": {"init": [], "submit": ["struct kfp_testmod_buf *buf"],
                      "complete": ["struct kfp_testmod_buf *buf", "int status"], "report": ["u64 nr_done"]},
        "attach": True,
    },
    "kfp_collide_ops": {"callbacks": {"probe": [], "poke": ["u64 x"], "prepare": [], "queue": []}, "attach": True},
    "tcp_congestion_ops": {
        "callbacks": {n: ["struct sock *sk"] for n in (
            "ssthresh", "cong_avoid", "set_state", "cwnd_event", "in_ack_event", "pkts_acked", "min_tso_segs",
            "cong_control", "undo_cwnd", "sndbuf_expand", "init", "release")},
        "attach": False,
    },
}

# For each policy, the callbacks of other interfaces whose programs call its kfuncs (the
# "struct_ops" caller): (interface, callback for non-sleepable programs, for sleepable ones).
OTHER_INTERFACES = [("kfp_collide_ops", "queue", "prepare"), ("tcp_congestion_ops", "cong_avoid", "init"),
                    ("kfp_testmod_ops", "report", "init")]

# Kfunc prototypes as the modules define them.
KFUNC_DECLS = {
    "kfp_testmod_alloc": "struct kfp_testmod_buf *kfp_testmod_alloc(u32 len)",
    "kfp_testmod_release": "void kfp_testmod_release(struct kfp_testmod_buf *buf)",
    "kfp_testmod_wait": "int kfp_testmod_wait(void)",
    "kfp_testmod_insert": "void kfp_testmod_insert(struct kfp_testmod_buf *buf)",
    "kfp_testmod_resubmit": "int kfp_testmod_resubmit(struct kfp_testmod_buf *buf)",
    "kfp_testmod_complete_now": "int kfp_testmod_complete_now(struct kfp_testmod_buf *buf)",
    "kfp_testmod_kick": "int kfp_testmod_kick(u64 *stats, u32 stats__sz)",
    "kfp_tcp_seed": "u32 kfp_tcp_seed(void)",
    "kfp_tcp_note": "void kfp_tcp_note(u32 what)",
    "kfp_tcp_forget": "void kfp_tcp_forget(void)",
    "kfp_tcp_trace": "void kfp_tcp_trace(u32 what)",
}

ALLOC = "struct kfp_testmod_buf *b = kfp_testmod_alloc(8);\n\n\tif (b) {{\n\t\t{}kfp_testmod_release(b);\n\t}}"


def snippet(kfunc, has_buf, valid):
    """The body that calls kfunc (a valid use of it, or a bare call), and the kfuncs it calls
    besides."""
    buf = "buf" if has_buf else "(struct kfp_testmod_buf *)0"
    bare = {
        "kfp_testmod_alloc": "kfp_testmod_alloc(8);", "kfp_testmod_release": f"kfp_testmod_release({buf});",
        "kfp_testmod_insert": f"kfp_testmod_insert({buf});", "kfp_testmod_resubmit": f"kfp_testmod_resubmit({buf});",
        "kfp_testmod_complete_now": f"kfp_testmod_complete_now({buf});",
    }
    if kfunc in ("kfp_testmod_alloc", "kfp_testmod_release"):
        if valid:
            other = "kfp_testmod_release" if kfunc == "kfp_testmod_alloc" else "kfp_testmod_alloc"
            return ALLOC.format(""), [other]
        return bare[kfunc], []
    if kfunc in ("kfp_testmod_insert", "kfp_testmod_resubmit", "kfp_testmod_complete_now"):
        if not valid or has_buf:
            return bare[kfunc], []
        return ALLOC.format(kfunc + "(b);\n\t\t"), ["kfp_testmod_alloc", "kfp_testmod_release"]
    if kfunc == "kfp_testmod_kick":
        return "u64 st[5] = {};\n\tkfp_testmod_kick(st, sizeof(st));", []
    if kfunc in ("kfp_tcp_note", "kfp_tcp_trace"):
        return f"{kfunc}(1);", []
    if kfunc in KFUNC_DECLS:
        return f"{kfunc}();", []
    sys.exit(f"e2e.py: no program for kfunc {kfunc}: add it to KFUNC_DECLS and snippet()")


def first_kfunc(body):
    """The first kfunc a body calls."""
    return next((n for n in re.findall(r"\b(\w+)\(", body) if n in KFUNC_DECLS), None)


PREAMBLE = """// Generated by Tests/e2e/e2e.py for scripts/e2e-kernel.sh: {title}
#include "kernel_types.h"
#include "modules.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";
"""


def externs(kfuncs):
    return "".join(f"extern {KFUNC_DECLS[k]} __ksym;\n" for k in sorted(set(kfuncs)))


def struct_ops_program(interface, callback, sleepable, body, name="kfp_case"):
    args = INTERFACES[interface]["callbacks"][callback]
    sec = "struct_ops.s" if sleepable else "struct_ops"
    params = ", ".join([name] + args)
    return f'SEC("{sec}/{callback}")\nint BPF_PROG({params})\n{{\n\t{body}\n\treturn 0;\n}}\n'


def struct_ops_map(interface, members):
    name = '\t.name = "kfp_case",\n' if interface in ("kfp_testmod_ops", "tcp_congestion_ops") else ""
    fields = "".join(f"\t.{cb} = (void *){prog},\n" for cb, prog in members)
    return f'SEC(".struct_ops")\nstruct {interface} kfp_case_ops = {{\n{name}{fields}}};\n'


def program(caller, sleepable, body, policy):
    """Source of a program of caller (ops.X of the policy's struct, a program type, or
    (interface, callback) of another interface) with body."""
    if isinstance(caller, tuple):
        interface, cb = caller
        return struct_ops_program(interface, cb, sleepable, body) + "\n" + struct_ops_map(interface, [(cb, "kfp_case")])
    if caller.startswith("ops."):
        cb = caller[4:]
        return (struct_ops_program(policy["struct"], cb, sleepable, body) + "\n"
                + struct_ops_map(policy["struct"], [(cb, "kfp_case")]))
    if caller == "syscall":
        # libbpf makes every SEC("syscall") program sleepable; the loader loads a program of
        # section kfp.syscall as a syscall program without BPF_F_SLEEPABLE.
        sec = "syscall" if sleepable else "kfp.syscall"
        return f'SEC("{sec}")\nint kfp_case(void *ctx)\n{{\n\t{body}\n\treturn 0;\n}}\n'
    if caller == "tracing":
        sec = "fentry.s" if sleepable else "fentry"
        return f'SEC("{sec}/kfp_testmod_trace_target")\nint BPF_PROG(kfp_case, int x)\n{{\n\t{body}\n\treturn 0;\n}}\n'
    if caller == "raw_tracepoint":
        return f'SEC("raw_tp/sched_switch")\nint kfp_case(void *ctx)\n{{\n\t{body}\n\treturn 0;\n}}\n'
    sys.exit(f"e2e.py: no program for callers of type {caller}")


def has_buf(caller, policy):
    if isinstance(caller, tuple):
        interface, cb = caller
    elif caller.startswith("ops."):
        interface, cb = policy["struct"], caller[4:]
    else:
        return False
    return any("kfp_testmod_buf" in a for a in INTERFACES[interface]["callbacks"][cb])


def expected_line(outcome, kfunc, caller, policy):
    if outcome == "loads":
        return ""
    if outcome == "refused_by_filter":
        return f"calling kernel function {kfunc} is not allowed"
    if outcome == "needs_sleepable_program":
        return f"program must be sleepable to call sleepable kfunc {kfunc}"
    if outcome == "callback_not_sleepable":
        return f"attach to unsupported member {caller[4:]} of struct {policy['struct']}"
    if outcome == "program_type_needs_sleepable":
        return "Syscall programs can only be sleepable"
    sys.exit(f"e2e.py: unknown outcome {outcome}")


def write_if_changed(path, text):
    if os.path.exists(path) and open(path).read() == text:
        return
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def plan(out, specs):
    """specs: NAME=MATRIX.json for each policy, and rawtp:NAME=FILE with lines 'KFUNC OUTCOME':
    what `kfpolicy explain` says of each kfunc from a raw_tracepoint program."""
    policies, rawtp = {}, {}
    for spec in specs:
        name, path = spec.split("=", 1)
        if name.startswith("rawtp:"):
            rawtp[name[6:]] = [line.split() for line in open(path) if line.strip()]
        else:
            policies[name] = json.load(open(path))
    os.makedirs(out + "/bpf", exist_ok=True)
    cases, manifest = [], ["uname"]

    def add(kind, title, source, expect, **fields):
        cid = "c%03d" % (len(cases) + 1)
        write_if_changed(f"{out}/bpf/{cid}.bpf.c", PREAMBLE.format(title=title) + source)
        cases.append(dict(id=cid, kind=kind, title=title, expect=expect, **fields))
        return cid

    for pname, m in policies.items():
        outcome = {(c["caller"], c["kfunc"], c["sleepable"]): c for c in m["cells"]}
        for cell in m["cells"]:
            caller, kfunc, sleepable, result = cell["caller"], cell["kfunc"], cell["sleepable"], cell["outcome"]
            if caller.startswith("ops.") and sleepable and not INTERFACES[m["struct"]]["attach"]:
                continue  # a vmlinux struct: its check_member is the kernel's, not the policy's
            callers = [caller]
            if caller == "struct_ops":
                callers = [(i, sl if sleepable else ns) for i, ns, sl in OTHER_INTERFACES if i != m["struct"]]
            for who in callers:
                valid = result == "loads"
                body, helpers = snippet(kfunc, has_buf(who, m), True)
                if not valid and first_kfunc(body) != kfunc:
                    body, helpers = snippet(kfunc, has_buf(who, m), False)
                for h in helpers if valid else []:
                    hc = outcome[(caller, h, sleepable)]["outcome"]
                    if hc != "loads":
                        sys.exit(f"e2e.py: {kfunc} from {caller} needs {h}, which the policy refuses there ({hc})")
                src = externs([kfunc] + helpers) + "\n" + program(who, sleepable, body, m)
                shown = who if isinstance(who, str) else f"{who[0]}.{who[1]}"
                title = f"{pname}: {shown} {'sleepable' if sleepable else 'non-sleepable'} calls {kfunc}"
                # Registered (a struct_ops map) or run (a syscall program) once it loads; fentry
                # programs are only loaded.
                attach = (not shown.startswith("ops.") or INTERFACES[m["struct"]]["attach"]) and \
                    (isinstance(who, str) or INTERFACES[who[0]]["attach"]) and caller != "tracing"
                cid = add("verdict", title, src, dict(outcome=result, rc=0 if valid else None,
                                                     line=expected_line(result, kfunc, caller, m)),
                          policy=pname, caller=shown, kfunc=kfunc, sleepable=sleepable)
                manifest.append(f"{'attach' if attach else 'load'} {cid} /cases/{cid}.o")
    # raw_tracepoint programs: which kfuncs they reach is the kernel's hook mapping (none in 6.12).
    for pname, outcomes in rawtp.items():
        m = policies[pname]
        for kfunc, result in outcomes:
            valid = result == "loads"
            body, helpers = snippet(kfunc, False, valid)
            if helpers and valid:
                sys.exit(f"e2e.py: {kfunc} from raw_tracepoint needs {helpers}: not planned")
            src = externs([kfunc] + helpers) + "\n" + program("raw_tracepoint", False, body, m)
            cid = add("verdict", f"{pname}: raw_tracepoint non-sleepable calls {kfunc}", src,
                      dict(outcome=result, rc=0 if valid else None,
                           line=expected_line(result, kfunc, "raw_tracepoint", m)),
                      policy=pname, caller="raw_tracepoint", kfunc=kfunc, sleepable=False)
            manifest.append(f"load {cid} /cases/{cid}.o")
    if "testmod" in policies:
        manifest.append(plan_kick(policies["testmod"], add))
        manifest += plan_instances(policies["testmod"], add)
    manifest.append("ids ids kfp_testmod_ops@kfp_testmod kfp_collide_ops@kfp_collide")
    write_if_changed(out + "/manifest", "\n".join(manifest) + "\n")
    write_if_changed(out + "/cases.json", json.dumps(cases, indent=1) + "\n")
    print(f"e2e.py: {len(cases)} programs for {len(policies)} policies")


# The instance kfp_testmod_kick() drives: the kfuncs each callback's program calls.
KICK_PROGRAMS = {"init": [], "submit": ["kfp_testmod_insert"],
                 "complete": ["kfp_testmod_insert", "kfp_testmod_resubmit"], "report": []}
STATS = ["runs", "queued", "deferred", "nest_refused", "kfunc_refused"]


def simulate_kick(m):
    """What kfp_testmod_kick() reports for KICK_PROGRAMS, from the model: each callback runs
    inside the run-time guards, which let callback B start while A is the innermost running one
    only when the nesting graph reaches B from A (and B is not running); ops.submit is followed,
    still inside it, by an attempt to run ops.complete (a synchronous completion); a kfunc with
    an `impl` for the running callback counts as that implementation."""
    nested = {c["name"]: set(c["nested"]) for c in m["callbacks"]}
    invokes = {k["name"]: k["invokes"] for k in m["kfuncs"]}
    cell = {(c["caller"], c["kfunc"]): c for c in m["cells"] if not c["sleepable"]}
    stats = dict.fromkeys(STATS, 0)
    stack = []

    def run(op):
        if stack and (op in stack or op not in nested[stack[-1]]):
            stats["nest_refused"] += 1
            return
        stats["runs"] += 1
        stack.append(op)
        for k in KICK_PROGRAMS[op]:
            c = cell[("ops." + op, k)]
            if c["outcome"] != "loads":
                sys.exit(f"e2e.py: the kick instance calls {k} from ops.{op}, which the policy refuses")
            if k == "kfp_testmod_insert":
                stats["deferred" if c["implementation"] != k else "queued"] += 1
            for inv in invokes[k]:
                run(inv)
        if op == "submit":
            run("complete")
        stack.pop()

    for op in ("init", "submit", "complete", "report"):
        run(op)
    return stats


def instance_source(m, programs):
    """A kfp_testmod_ops map whose callbacks' programs call these kfuncs (each must load there)."""
    bodies, members = [], []
    for cb, kfuncs in programs.items():
        for k in kfuncs:
            c = next(c for c in m["cells"] if (c["caller"], c["kfunc"], c["sleepable"]) == ("ops." + cb, k, False))
            if c["outcome"] != "loads":
                sys.exit(f"e2e.py: an instance calls {k} from ops.{cb}, which the policy refuses")
        body = "\n\t".join(snippet(k, True, True)[0] for k in kfuncs) or ";"
        bodies.append(struct_ops_program("kfp_testmod_ops", cb, False, body, name="kfp_" + cb))
        members.append((cb, "kfp_" + cb))
    used = [k for ks in programs.values() for k in ks]
    return externs(used) + "\n" + "\n".join(bodies) + "\n" + struct_ops_map("kfp_testmod_ops", members)


# Instances for the instance check run when a map is registered: submit completes at once
# (kfp_testmod_complete_now invokes ops.complete), and complete resubmits in one of them.
CHECKED_INSTANCES = {
    "completes at once": {"submit": ["kfp_testmod_complete_now"], "complete": ["kfp_testmod_insert"]},
    "completes at once and resubmits": {"submit": ["kfp_testmod_complete_now"], "complete": ["kfp_testmod_resubmit"]},
}


def instance_edges(m, programs):
    """The instance's nesting graph: op -> kfunc its program calls -> op the kfunc invokes
    (if implemented), op -> op the kernel runs inside it (if implemented)."""
    invokes = {k["name"]: k["invokes"] for k in m["kfuncs"]}
    nests = {c["name"]: c["nests"] for c in m["callbacks"]}
    edges = set()
    for cb, kfuncs in programs.items():
        edges |= {("ops." + cb, k) for k in kfuncs}
        edges |= {("ops." + cb, "ops." + n) for n in nests[cb] if n in programs}
        for k in kfuncs:
            edges |= {(k, "ops." + i) for i in invokes[k] if i in programs}
    return edges


def has_cycle(edges):
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    state = {}

    def visit(n):
        state[n] = 1
        for s in succ.get(n, []):
            if state.get(s) == 1 or (s not in state and visit(s)):
                return True
        state[n] = 2
        return False
    return any(n not in state and visit(n) for n in list(succ))


def plan_instances(m, add):
    lines = []
    if not any(k["name"] == "kfp_testmod_complete_now" for k in m["kfuncs"]):
        return lines
    for what, programs in CHECKED_INSTANCES.items():
        edges = instance_edges(m, programs)
        cycle = has_cycle(edges)
        cid = add("instance-check", f"kfp_testmod: registering an instance that {what}", instance_source(m, programs),
                  dict(outcome="refused_cycle" if cycle else "attaches", edges=sorted(edges)))
        lines.append(f"attach {cid} /cases/{cid}.o")
    return lines


def plan_kick(m, add):
    inst = add("instance", "kfp_testmod: an instance for kfp_testmod_kick()", instance_source(m, KICK_PROGRAMS), None)
    words = 1 + len(STATS)
    run_src = externs(["kfp_testmod_kick"]) + (
        '\nSEC("syscall")\nint kfp_kick(u64 *ctx)\n{\n\tu64 st[%d] = {};\n\tint i;\n\n'
        "\tctx[0] = kfp_testmod_kick(st, sizeof(st));\n\tfor (i = 0; i < %d; i++)\n\t\tctx[i + 1] = st[i];\n"
        "\treturn 0;\n}\n" % (len(STATS), len(STATS)))
    expect = simulate_kick(m)
    cid = add("kick", "kfp_testmod: a syscall program runs the instance's callbacks (guards, impl table)",
              run_src, dict(stats=[0] + [expect[s] for s in STATS]), instance=inst)
    return f"kick {cid} /cases/{inst}.o /cases/{cid}.o {words}"


def parse_console(text):
    results, stats, logs, kmsg, ids, uname, insmod = {}, {}, {}, {}, {}, None, {}
    for line in text.replace("\r", "").split("\n"):
        if "KFP-" not in line:
            continue
        line = line[line.index("KFP-"):]
        m = re.match(r"KFP-RESULT id=(\S+) stage=(\S+) rc=(-?\d+) ms=\d+ line=(.*)$", line)
        if m:
            results[m.group(1)] = dict(stage=m.group(2), rc=int(m.group(3)), line=m.group(4).strip())
        m = re.match(r"KFP-STATS id=(\S+) ret=\d+ words=(.*)$", line)
        if m:
            stats[m.group(1)] = [int(x) for x in m.group(2).split(",")]
        m = re.match(r"KFP-(LOG|KMSG) id=(\S+) (.*)$", line)
        if m:
            (logs if m.group(1) == "LOG" else kmsg).setdefault(m.group(2), []).append(m.group(3))
        m = re.match(r"KFP-IDS id=\S+ (.*)$", line)
        if m:
            ids = dict(kv.split("=") for kv in m.group(1).split())
        m = re.match(r"KFP-UNAME (\S+)", line)
        if m:
            uname = m.group(1)
        m = re.match(r"KFP-INSMOD (\S+) rc=(\d+) ?(.*)$", line)
        if m:
            insmod[m.group(1)] = (int(m.group(2)), m.group(3))
    return results, stats, logs, kmsg, ids, uname, insmod


def check_instance_case(e, r, kmsg):
    """(expected, got, ok) of an instance-check case: it attaches, or registration fails with
    ELOOP and the module names a cycle of the instance's nesting graph."""
    if r is None:
        return e["outcome"], "no result", False
    if e["outcome"] == "attaches":
        return "attaches", "attaches" if r["rc"] == 0 else describe(r["rc"], r["line"]), r["rc"] == 0
    edges = {tuple(x) for x in e["edges"]}
    for line in kmsg:
        m = re.search(r"instance refused: nesting cycle: (.*)$", line)
        path = m.group(1).strip().split(" -> ") if m else []
        if path and path[0] == path[-1] and all((a, b) in edges for a, b in zip(path, path[1:])):
            return "refused: a nesting cycle", f"{r['rc']} {m.group(1).strip()}", r["rc"] == -40
    return "refused: a nesting cycle", describe(r["rc"], " / ".join(kmsg) or r["line"]), False


def describe(rc, line, stage="load", caller=""):
    if rc == 0:
        if stage == "attach":
            return "loads and runs" if caller in ("syscall", "kfp.syscall") else "loads and attaches"
        return "loads"
    return f"{rc} {line}"


def report(out, console_path, facts):
    cases = json.load(open(out + "/cases.json"))
    text = open(console_path, errors="replace").read()
    results, stats, logs, kmsg, ids, uname, insmod = parse_console(text)
    rows, failed = [], []

    def row(cid, title, expected, got, ok, detail=()):
        rows.append((cid, title, expected, got, ok))
        if not ok:
            failed.append((cid, title, expected, got, list(detail)))

    for mod in facts.get("modules", "").split(","):
        got = insmod.get(mod)
        # A module whose policy kfpolicy refuses (NAME_errors: the error ids) must not load.
        errors = facts.get(mod + "_errors", "")
        title = f"insmod {mod}.ko" + (f" (kfpolicy refuses its policy: {errors})" if errors else "")
        dmesg = [l for l in text.split("\n") if f"KFP-DMESG {mod} " in l][-12:]
        # Refused as 6.12 refuses a second set for a hook: EINVAL after a WARN in the registration.
        refused = got is not None and got[0] != 0 and "Invalid argument" in got[1] and \
            any("WARNING" in l and "__register_btf_kfunc_id_set" in l for l in dmesg)
        ok = refused if errors else got is not None and got[0] == 0
        row("insmod", title, "refused (EINVAL, WARN in __register_btf_kfunc_id_set)" if errors else "loads",
            "missing" if got is None else ("loads" if got[0] == 0 else got[1]), ok, dmesg)
    a, b = ids.get("kfp_testmod_ops@kfp_testmod"), ids.get("kfp_collide_ops@kfp_collide")
    built = facts.get("built_ids", "?")
    row("ids", f"BTF ids of kfp_testmod_ops and kfp_collide_ops collide (at build: {built})", "equal",
        f"{a} and {b}", a is not None and a == b and int(a) > 0 and f"{a}/{b}" == built)
    for c in cases:
        if c["kind"] == "instance":
            continue
        r = results.get(c["id"])
        detail = logs.get(c["id"], []) + kmsg.get(c["id"], [])
        if c["kind"] == "kick":
            want = c["expect"]["stats"]
            got = stats.get(c["id"])
            shown = "none" if got is None else ", ".join(f"{n}={v}" for n, v in zip(["ret"] + STATS, got))
            row(c["id"], c["title"], ", ".join(f"{n}={v}" for n, v in zip(["ret"] + STATS, want)),
                shown if r is None or r["rc"] == 0 else describe(r["rc"], r["line"]), got == want, detail)
            continue
        e = c["expect"]
        if c["kind"] == "instance-check":
            row(c["id"], c["title"], *check_instance_case(e, r, kmsg.get(c["id"], [])), detail)
            continue
        if r is None:
            row(c["id"], c["title"], e["outcome"], "no result", False, detail)
            continue
        if e["outcome"] == "loads":
            ok = r["rc"] == 0
        else:
            ok = r["rc"] in (-13, -22, -524) and r["line"] == e["line"]
        got = describe(r["rc"], r["line"], r["stage"], c["caller"])
        row(c["id"], c["title"], e["outcome"] + (f" ({e['line']})" if e["line"] else ""), got, ok, detail)

    width = max(len(r[1]) for r in rows)
    print(f"{'case':6} {'':1} {'what':{width}}  got")
    for cid, title, expected, got, ok in rows:
        print(f"{cid:6} {'✓' if ok else '✗'} {title:{width}}  {got}")
    for cid, title, expected, got, detail in failed:
        print(f"\nDIFFERS {cid}: {title}\n  expected: {expected}\n  got:      {got}")
        for d in detail:
            print("  | " + d)
    print(f"\nkernel: {uname or 'unknown (no KFP-UNAME line)'}")
    ok = len(rows) - len(failed)
    print(f"real verifier: {ok}/{len(rows)} cases as the policy decides")
    return 0 if not failed and uname and "KFP-DONE" in text else 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "plan":
        plan(argv[2], argv[3:])
        return 0
    if len(argv) >= 4 and argv[1] == "report":
        return report(argv[2], argv[3], dict(a.split("=", 1) for a in argv[4:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

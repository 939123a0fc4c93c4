// A policy compared with kernel sources (`check --kernel-src`): each mismatch names the policy's
// declaration and the kernel's.

import KFPolicy

extension KernelSource {
    /// Compares a policy with the sources: callbacks against the struct's members, kfuncs
    /// against their definitions, sets and KF_ flags against the BTF_ID_FLAGS lines, and sets'
    /// program types against their registrations. Each mismatch names both locations.
    public func check(_ p: Policy) -> [Diagnostic] {
        var ds = DiagnosticBag()
        checkStruct(p, &ds)
        checkSets(p, &ds)
        checkKfuncs(p, &ds)
        return ds.items
    }

    /// A note at a kernel location, with the `#if` conditions around it.
    func note(_ message: String, _ l: KernelLocation) -> DiagnosticNote {
        let cond = l.conditions.isEmpty ? "" : " (under #if \(l.conditions.joined(separator: " && ")))"
        return DiagnosticNote(message + cond, at: l.range)
    }

    /// "did you mean 'x'?" for the closest of `candidates`.
    func suggestion(_ name: String, _ candidates: some Sequence<String>) -> String? {
        closest(to: name, in: candidates, minimumLimit: 2).map { "did you mean '\($0)'?" }
    }

    /// Callbacks against the struct's function-pointer members, both ways.
    func checkStruct(_ p: Policy, _ ds: inout DiagnosticBag) {
        let st = "struct \(p.structName)"
        guard let s = structs[p.structName] else {
            let hint = "--kernel-src must name a kernel source tree (the directory that holds kernel/ and include/)"
            ds.error(.kernelStructNotFound, "\(st) is not defined in the kernel sources under '\(root)'", at: p.range,
                     hint: hint)
            return
        }
        let fps = s.members.filter(\.isFunctionPointer)
        for c in p.callbacks where !fps.contains(where: { $0.name == c.name }) {
            if let m = s.members.first(where: { $0.name == c.name }) {
                let message = "callback '\(c.name)' is a data member of \(st) in the kernel, not a function pointer"
                ds.error(.kernelCallbackNotMember, message, at: c.range,
                         notes: [note("'\(m.declaration)' is declared here", m.location)])
            } else {
                let message = "callback '\(c.name)' is not a member of \(st) in the kernel sources"
                ds.error(.kernelCallbackNotMember, message, at: c.range,
                         notes: [note("\(st) is defined here", s.location)],
                         hint: suggestion(c.name, fps.map(\.name)))
            }
        }
        for m in fps where p.callback(named: m.name) == nil {
            let message = "\(st) has a function-pointer member '\(m.name)' that the policy does not declare as a "
                + "callback"
            ds.warning(.kernelMemberNotInPolicy, message, at: p.range,
                       notes: [note("'\(m.declaration)' is declared here", m.location)],
                       hint: "add 'callback \(m.name): <contexts>;' if BPF programs may implement it")
        }
    }

    /// Sets against their definitions and the program types they are registered for.
    func checkSets(_ p: Policy, _ ds: inout DiagnosticBag) {
        for s in p.sets {
            guard let ks = set(named: s.name) else {
                let message = "set '\(s.name)' is not defined in the kernel sources (no BTF_KFUNCS_START(\(s.name)))"
                ds.error(.kernelSetNotFound, message, at: s.range, hint: suggestion(s.name, sets.map(\.name)))
                continue
            }
            let regs = registrations(of: s.name)
            let got = Set(regs.compactMap { r in ProgType.allCases.first { $0.cName == r.progType } })
            let want = Set(s.progTypes)
            guard got != want else { continue }
            let wantText = want.sorted().map(\.rawValue).joined(separator: ", ")
            let gotText = got.isEmpty ? "no program type" : got.sorted().map(\.rawValue).joined(separator: ", ")
            let notes = regs.isEmpty ? [note("set '\(s.name)' is defined here", ks.location)]
                : regs.map { note("register_btf_kfunc_id_set(\($0.progType), &\($0.idSetVariable))", $0.location) }
            let message = "set '\(s.name)' is registered for \(wantText) in the policy, but the kernel registers it "
                + "for \(gotText)"
            ds.error(.kernelProgTypesDiffer, message, at: s.range, notes: notes)
        }
    }

    /// Kfuncs against their definitions, the sets that list them and their KF_ flags there.
    func checkKfuncs(_ p: Policy, _ ds: inout DiagnosticBag) {
        for k in p.kfuncs {
            let found = entries(of: k.name)
            guard functions[k.name] != nil || !found.isEmpty else {
                let known = Set(functions.values.filter(\.isKfunc).map(\.name))
                    .union(sets.flatMap { $0.entries.map(\.kfunc) })
                let message = "kfunc '\(k.name)' is neither defined with __bpf_kfunc nor declared in the kernel "
                    + "sources, and no set lists it"
                ds.error(.kernelKfuncNotFound, message, at: k.range, hint: suggestion(k.name, known))
                continue
            }
            let policySets = k.sets.map { p.sets[$0].name }
            for name in policySets {
                guard let ks = set(named: name) else { continue } // reported above
                guard let e = ks.entries.first(where: { $0.kfunc == k.name }) else {
                    var notes = [note("the kernel's set '\(name)' is defined here", ks.location)]
                    notes += found.map {
                        note("the kernel lists '\(k.name)' in set '\($0.set.name)' here", $0.entry.location)
                    }
                    let message = "kfunc '\(k.name)' is in set '\(name)' in the policy, but the kernel's set '\(name)' "
                        + "does not list it"
                    ds.error(.kernelSetDiffers, message, at: k.setsRange, notes: notes)
                    continue
                }
                let want = Set(k.flags.map(\.rawValue)), got = Set(e.flags)
                guard want != got else { continue }
                let show: (Set<String>) -> String = { $0.isEmpty ? "none" : $0.sorted().joined(separator: " | ") }
                let flags = e.flags.isEmpty ? "" : ", " + e.flags.joined(separator: " | ")
                let line = "BTF_ID_FLAGS(func, \(k.name)\(flags))"
                let message = "kfunc '\(k.name)' has flags \(show(want)) in the policy, but \(show(got)) in the "
                    + "kernel's set '\(name)'"
                ds.error(.kernelFlagsDiffer, message, at: k.flagsRange.isNone ? k.range : k.flagsRange,
                         notes: [note("\(line) is here", e.location)])
            }
            for (ks, e) in found where !policySets.contains(ks.name) {
                let declare = p.sets.contains { $0.name == ks.name } ? "" : " and declare 'set \(ks.name): ...;'"
                let message = "the kernel also lists kfunc '\(k.name)' in set '\(ks.name)', which the policy does not "
                    + "give it"
                ds.error(.kernelSetDiffers, message, at: k.setsRange,
                         notes: [note("BTF_ID_FLAGS(func, \(k.name)...) in set '\(ks.name)' is here", e.location)],
                         hint: "add '\(ks.name)' to its 'in' line" + declare)
            }
        }
    }
}

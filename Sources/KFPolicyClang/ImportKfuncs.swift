// The kfunc sets of the interface's file, the program types each is registered for, and each
// kfunc's flags, contexts (from its run-time checks) and requirements.

import KFPolicy

extension Importer {
    /// The `requirement`, `set` and `kfunc` declarations.
    mutating func setAndKfuncLines(_ iface: Int) -> String {
        let file = ks.fileNames[iface]
        var kfuncOrder: [String] = []
        var kfuncSets: [String: [String]] = [:]
        var kfuncFlags: [String: (flags: [String], set: String, loc: KernelLocation)] = [:]
        var setLines = ""
        for s in ks.sets where s.file == file {
            guard let line = setLine(s) else { continue }
            setLines += line
            for e in s.entries {
                if kfuncSets[e.kfunc] == nil { kfuncOrder.append(e.kfunc) }
                kfuncSets[e.kfunc, default: []].append(s.name)
                guard let old = kfuncFlags[e.kfunc] else {
                    kfuncFlags[e.kfunc] = (e.flags, s.name, e.location)
                    continue
                }
                if Set(old.flags) != Set(e.flags) {
                    func text(_ f: [String]) -> String { f.isEmpty ? "none" : f.joined(separator: " | ") }
                    cannot("kfunc '\(e.kfunc)' has flags \(text(e.flags)) in set '\(s.name)' but \(text(old.flags)) "
                           + "in set '\(old.set)'; the policy keeps the first", at: e.location)
                }
            }
        }
        var requirementsUsed = Set<String>()
        var kfuncText = ""
        for k in kfuncOrder {
            let (text, reqs) = kfuncDeclaration(k, sets: kfuncSets[k]!, flags: kfuncFlags[k]!.flags,
                                                flagsAt: kfuncFlags[k]!.loc, iface: iface)
            kfuncText += text
            requirementsUsed.formUnion(reqs.subtracting(["sleepable"]))
        }
        var out = ""
        if !requirementsUsed.isEmpty {
            out += "\n"
            for r in requirementsUsed.sorted() {
                out += "/// The task argument must be a task the running callback operates on "
                    + "(scx_kf_allowed_on_arg_tasks).\n"
                out += "requirement \(r);\n"
            }
        }
        out += "\n// kfunc sets defined in \(file) and the program types register_btf_kfunc_id_set() registers each "
            + "for.\n"
        return out + setLines + kfuncText
    }

    /// The `set` line of a kernel set, naming where it is registered; nil (reported) when it is
    /// registered for no program type the policy language names.
    mutating func setLine(_ s: KernelSet) -> String? {
        let regs = ks.registrations(of: s.name)
        var types: [ProgType] = []
        for r in regs {
            if let t = ProgType.allCases.first(where: { $0.cName == r.progType }) {
                if !types.contains(t) { types.append(t) }
            } else {
                cannot("set '\(s.name)' is registered for \(r.progType), which the policy language has no name for",
                       at: r.location)
            }
        }
        if types.isEmpty {
            cannot("set '\(s.name)' is registered for no program type kfpolicy knows; left out", at: s.location)
            return nil
        }
        let lines = regs.map { rel($0.location).split(separator: ":").last.map { "line " + $0 } ?? "" }
        return "set \(s.name): \(types.sorted().map(\.rawValue).joined(separator: ", ")); // \(rel(s.location)); "
            + "registered at \(lines.joined(separator: ", "))\n"
    }

    /// A `kfunc` block and the requirements it carries.
    mutating func kfuncDeclaration(_ k: String, sets: [String], flags: [String], flagsAt: KernelLocation,
                                   iface: Int) -> (text: String, requirements: Set<String>) {
        let known = flags.filter { f in KFFlag.allCases.contains { $0.rawValue == f } }
        for f in flags where !known.contains(f) {
            cannot("kfunc '\(k)': flag '\(f)' is not a KF_ flag kfpolicy knows; left out", at: flagsAt)
        }
        var allow = allContexts
        var reqs = Set<String>()
        var why = "no run-time context check"
        let file = ks.fileNames[iface]
        if let fn = ks.functions[k], let body = fn.body, ks.fileIDs[body.file] == ks.fileIDs[iface] {
            allow = admittedContexts(k)
            reqs = requirementsOf[k] ?? []
            if let ev = evidence[k], !ev.isEmpty { why = ev.joined(separator: "; ") }
        } else if let fn = ks.functions[k] {
            why = "defined in \(rel(fn.location)), outside \(file): its checks were not read"
            cannot("kfunc '\(k)' is defined outside \(file); import assumed it checks no context", at: fn.location)
        } else {
            cannot("kfunc '\(k)' has no definition in the sources read; import assumed it checks no context",
                   at: flagsAt)
        }
        if known.contains("KF_SLEEPABLE") { reqs.insert("sleepable") }
        var text = "\nkfunc \(k) {\n"
        text += "    in \(sets.joined(separator: ", "));\n"
        text += "    flags \(known.isEmpty ? "none" : known.joined(separator: " | "));\n"
        text += "    allow \(describe(allow)); // \(why)\n"
        if !reqs.isEmpty {
            let sorted = reqs.sorted { a, b in a == "sleepable" ? true : b == "sleepable" ? false : a < b }
            let why = reqs.contains("sleepable")
                ? " // KF_SLEEPABLE: the verifier allows it in sleepable programs only" : ""
            text += "    requires \(sorted.joined(separator: ", "));\(why)\n"
        }
        return (text + "}\n", reqs)
    }
}

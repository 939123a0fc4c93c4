// The callbacks: the struct's function-pointer members, the contexts each runs in (the masks
// its call sites pass through the call-op macros) and which may be sleepable programs.

import KFPolicy

/// The call-op macros of an interface and, per callback, the masks its call sites pass.
struct CallOpSites {
    var macros: Set<String> = []
    /// op -> [(mask text, location)].
    var sites: [String: [(mask: String, loc: KernelLocation)]] = [:]
}

extension Importer {
    /// The file that defines the struct_ops (`.name = "<struct>"` in a struct bpf_struct_ops),
    /// else the file that defines the struct.
    func interfaceFile(default d: Int) -> Int {
        for (f, st) in ks.files.enumerated() {
            let c = st.code
            for i in c.indices where reads(c, i, [".", "name", "=", "\"\(structName)\""]) {
                return f
            }
        }
        return d
    }

    /// Call sites of the call-op macros: function-like macros whose first two parameters are
    /// `mask` and `op`.
    func callOpSites(_ iface: Int) -> CallOpSites {
        var out = CallOpSites()
        let macros = ks.files[iface].macros.values.filter { Array(($0.params ?? []).prefix(2)) == ["mask", "op"] }
        out.macros = Set(macros.map(\.name))
        let code = ks.files[iface].code
        for i in code.indices where out.macros.contains(code[i].text) {
            guard let (args, _) = ks.files[iface].arguments(at: i + 1), args.count >= 2 else { continue }
            out.sites[tokenText(args[1]), default: []].append((tokenText(args[0]), location(iface, i)))
        }
        return out
    }

    /// Sets registered with a filter function keep per-callback rules import does not read.
    mutating func reportFilters(_ iface: Int) {
        for (v, info) in ks.idSets.sorted(by: { $0.key < $1.key }) where info.filter != nil
            && ks.sets.contains(where: { $0.name == info.set && $0.file == ks.fileNames[iface] }) {
            cannot("'\(v)' registers set '\(info.set ?? "?")' with the filter \(info.filter!)(): "
                   + "per-callback rules in a filter are not read", at: info.location)
        }
    }

    /// The `context` and `group` lines.
    func contextLines(oneContext: Bool) -> String {
        var out = ""
        for (i, c) in contextNames.enumerated() {
            let zero = contextBits[i] == 0 ? " = 0: no bit is set in C; a context of its own here" : ""
            out += oneContext ? "context \(c);\n" : "context \(c); // \(contextConstants[i])\(zero)\n"
        }
        for g in groups { out += "group \(g.name) = \(describe(g.contexts, groups: false)); // \(g.constant)\n" }
        return out
    }

    /// The `callback` lines, one per function-pointer member, in order.
    mutating func callbackLines(_ st: KernelStruct, _ calls: CallOpSites, sleepable: [String: String]) -> String {
        let oneContext = calls.macros.isEmpty
        let macros = calls.macros.sorted().joined(separator: "/")
        var out = "\n// Callbacks: the function-pointer members of struct \(structName) (\(rel(st.location))), "
            + "in order.\n"
        out += oneContext ? "// The sources set no per-callback context: every callback is in the one context.\n"
            : "// Each runs in the union of the masks its \(macros) call sites pass.\n"
        for m in st.members.filter(\.isFunctionPointer) {
            if oneContext {
                let sl = sleepable[m.name].map { " sleepable; // sleepable: \($0)" } ?? ";"
                out += "callback \(m.name): any_callback\(sl)\n"
                continue
            }
            guard let ss = calls.sites[m.name], !ss.isEmpty else {
                cannot("callback '\(m.name)': no \(macros) call site names it, so its contexts are unknown; left out",
                       at: m.location)
                out += "// callback \(m.name): not imported (no call site found)\n"
                continue
            }
            var mask = Set<Int>()
            var unknown = false
            for s in ss {
                if let v = maskValues[s.mask] { mask.formUnion(contexts(of: v)) } else {
                    unknown = true
                    cannot("callback '\(m.name)': the mask '\(s.mask)' of a call site is not a constant import can "
                           + "evaluate", at: s.loc)
                }
            }
            if unknown && mask.isEmpty { out += "// callback \(m.name): not imported (mask unknown)\n"; continue }
            var notes = ss.map { rel($0.loc).split(separator: "/").last.map(String.init) ?? "" }
            notes = notes.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            var sl = ""
            if let s = sleepable[m.name] {
                sl = " sleepable"
                notes.append("sleepable: \(s)")
            }
            out += "callback \(m.name): \(describe(mask))\(sl); // \(notes.joined(separator: ", "))\n"
        }
        return out
    }

    /// Members named in `case offsetof(struct S, m):` labels of the struct_ops' .check_member
    /// function, when that function looks at `sleepable`: member -> where.
    mutating func sleepableMembers(_ iface: Int) -> (members: [String: String], function: String?) {
        let c = ks.files[iface].code
        var checkMember: String?
        for i in c.indices where i + 3 < c.count && reads(c, i, [".", "check_member", "="]) {
            checkMember = c[i + 3].text
        }
        guard let fnName = checkMember, let fn = ks.functions[fnName], let body = fn.body else {
            cannot("no .check_member function of struct \(structName)'s struct_ops was found: no callback is marked "
                   + "sleepable", at: nil)
            return ([:], nil)
        }
        let bc = ks.files[body.file].code
        guard bc[body.open...body.close].contains(where: { $0.text == "sleepable" }) else {
            cannot("\(fnName)() does not look at 'sleepable': no callback is marked sleepable", at: fn.location)
            return ([:], fnName)
        }
        var out: [String: String] = [:]
        for i in body.open..<body.close where i + 7 < body.close && reads(bc, i, ["case", "offsetof"]) {
            // case offsetof ( struct S , member ) :
            if reads(bc, i + 3, ["struct", structName, ","]), bc[i + 6].kind == .identifier {
                let cond = ks.files[body.file].conditions(at: i)
                let l = ks.location(body.file, i)
                let when = cond.isEmpty ? "" : " if \(cond.joined(separator: " && "))"
                out[bc[i + 6].text] = "\(fnName) \(rel(l).split(separator: "/").last ?? "")" + when
            }
        }
        return (out, fnName)
    }

    /// Whether the tokens from `i` on read `texts`.
    func reads(_ c: [ClangToken], _ i: Int, _ texts: [String]) -> Bool {
        i + texts.count <= c.count && texts.indices.allSatisfy { c[i + $0].text == texts[$0] }
    }
}

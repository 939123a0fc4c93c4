// `kfpolicy import`: write a policy from what a kernel's hand-written rules enforce for one
// struct_ops interface. It reads (as libclang tokens, see KernelSource.swift):
// - the struct's function-pointer members (the callbacks);
// - the context constants: the enum whose constants the call-op macros are given (sched_ext:
//   enum scx_kf_mask), each value evaluated with libclang (ImportContexts.swift);
// - each callback's contexts: the union of the masks passed at its call sites, through the
//   interface's call-op macros (function-like macros whose first two parameters are `mask` and
//   `op`, e.g. SCX_CALL_OP_TASK(mask, op, task, args...)), and which callbacks may be sleepable
//   programs: the `case offsetof(struct S, member):` labels of the struct_ops' .check_member
//   function (ImportCallbacks.swift);
// - the BTF kfunc sets of the interface's file, their KF_ flags, and the program types they are
//   registered for (ImportKfuncs.swift);
// - each kfunc's run-time context check: guards `if (<condition>) return/goto ...;` at the top
//   level of the kfunc and of the file's functions it calls, whose condition uses sched_ext's
//   checks scx_kf_allowed(mask), scx_kf_allowed_on_arg_tasks(mask, task) and
//   scx_kf_allowed_if_unlocked(), combined with !, && and || (ImportGuards.swift).
// What it cannot infer (nesting, checks used any other way, callbacks without call sites) it
// reports, with locations, and leaves out of the policy instead of guessing.

import KFPolicy

public struct ImportResult: Sendable {
    /// The policy, formatted canonically.
    public var policyText: String
    /// What could not be inferred (warnings), each at a kernel source location.
    public var diagnostics: [Diagnostic]
}

public struct ImportError: Error, CustomStringConvertible {
    public let description: String
}

public enum PolicyImporter {
    /// Imports the rules for `structName` from the kernel sources under `root`. `name` is the
    /// policy's name and prefix (default: the struct's name without `_ops`).
    public static func importPolicy(kernelSource root: String, structName: String, name: String? = nil,
                                    sources: SourceManager) throws -> ImportResult {
        let ks: KernelSource
        do { ks = try KernelSource(root: root, structNames: [structName], sources: sources) } catch {
            throw ImportError(description: "\(error)")
        }
        let name = name ?? (structName.hasSuffix("_ops") ? String(structName.dropLast(4)) : structName)
        var imp = Importer(ks: ks, structName: structName, name: name)
        return try imp.run()
    }
}

/// One import: what it has inferred so far, and what it could not.
struct Importer {
    let ks: KernelSource
    let structName: String
    let name: String
    var diagnostics: [Diagnostic] = []
    var notInferred: [String] = []

    // Contexts.
    var contextNames: [String] = []          // in policy order
    var contextBits: [Int64] = []            // the C value of each (0 for the no-bit context)
    var contextConstants: [String] = []      // the C constant of each
    var groups: [(name: String, constant: String, contexts: Set<Int>)] = []
    var maskValues: [String: Int64] = [:]    // mask expression text -> value
    var enumPrelude = ""
    var enumDescription = ""
    var enumFile: String?

    // Per-function analysis.
    var admitted: [String: Set<Int>] = [:]
    var requirementsOf: [String: Set<String>] = [:]
    var evidence: [String: [String]] = [:]   // function -> "check at path:line" notes
    var inProgress: Set<String> = []

    init(ks: KernelSource, structName: String, name: String) {
        self.ks = ks
        self.structName = structName
        self.name = name
    }

    /// `path:line` relative to the kernel tree, for comments in the policy.
    func rel(_ l: KernelLocation) -> String {
        guard let p = ks.sources.position(l.range) else { return "?" }
        return "\(relativePath(p.path)):\(p.line)"
    }

    /// A path under the kernel tree, relative to it.
    func relativePath(_ path: String) -> String {
        path.hasPrefix(ks.root + "/") ? String(path.dropFirst(ks.root.count + 1)) : path
    }

    func location(_ f: Int, _ i: Int) -> KernelLocation { ks.location(f, i) }

    mutating func cannot(_ message: String, at l: KernelLocation?) {
        notInferred.append(message + (l.map { " (\(rel($0)))" } ?? ""))
        diagnostics.append(Diagnostic(.warning, .importNotInferred, "import: " + message, at: l?.range ?? .none))
    }

    var allContexts: Set<Int> { Set(contextNames.indices) }

    /// The `kernel` line: the release the tree's top Makefile names (VERSION, PATCHLEVEL), which
    /// decides what the policy's program types reach. Without one, the policy is for mainline.
    mutating func kernelLine() -> String {
        let makefile = ks.root + "/Makefile"
        var fields: [String: String] = [:]
        if let bytes = try? readFileBytes(makefile) {
            for line in String(decoding: bytes.prefix(4096), as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
                if parts.count == 2, ["VERSION", "PATCHLEVEL"].contains(parts[0]) { fields[parts[0]] = parts[1] }
            }
        }
        guard let v = fields["VERSION"].flatMap({ Int($0) }), let p = fields["PATCHLEVEL"].flatMap({ Int($0) }) else {
            cannot("the kernel's release: no VERSION and PATCHLEVEL in \(makefile); the policy says no 'kernel' "
                       + "and is for mainline", at: nil)
            return ""
        }
        return "kernel \(v).\(p); // the tree's Makefile"
    }

    func describe(_ s: Set<Int>, groups useGroups: Bool = true) -> String {
        if s == allContexts { return "any" }
        if s.isEmpty { return "none" }
        if useGroups, let g = groups.first(where: { $0.contexts == s }) { return g.name }
        return s.sorted().map { contextNames[$0] }.joined(separator: " | ")
    }

    /// Reads the interface and writes its policy, formatted canonically.
    mutating func run() throws -> ImportResult {
        guard let st = ks.structs[structName] else {
            throw ImportError(description: "struct \(structName) is not defined in the kernel sources under "
                                  + "'\(ks.root)'")
        }
        guard let structFile = ks.fileIDs.firstIndex(of: st.location.range.file) else {
            throw ImportError(description: "internal: struct file")
        }
        let iface = interfaceFile(default: structFile)
        let calls = callOpSites(iface)
        if calls.macros.isEmpty {
            // Nothing in the sources tells callbacks apart: one context holds them all.
            cannot("no call-op macro (a function-like macro with parameters (mask, op, ...)) is defined in "
                   + "\(ks.fileNames[iface]): the sources set no per-callback context, so every callback is put in "
                   + "one context 'any_callback'; rules kept elsewhere (filters, helper access, members BPF cannot "
                   + "implement) are not read", at: st.location)
            contextNames = ["any_callback"]
            contextBits = [0]
            contextConstants = ["no C constant"]
            enumDescription = "none in the sources; one context for every callback"
        } else {
            try inferContexts(masks: calls.sites.values.flatMap { $0.map(\.mask) })
        }
        reportFilters(iface)
        let sleepable = sleepableMembers(iface)

        let kernel = kernelLine()
        var out = """
            // Imported by 'kfpolicy import --struct \(structName)' from the kernel sources: \
            \(sourcesUsed(iface, structFile).joined(separator: ", ")).
            // Each fact names the source line it comes from; what import could not infer is listed at the end.

            /// \(structName) as the kernel's hand-written rules enforce it.
            policy \(name) for struct \(structName);
            prefix \(name);
            \(kernel)

            // Contexts: \(enumDescription).

            """
        out += contextLines(oneContext: calls.macros.isEmpty)
        out += callbackLines(st, calls, sleepable: sleepable.members)
        out += setAndKfuncLines(iface)

        // What was not inferred.
        let nestingCheck = ks.functions["scx_kf_allowed"].flatMap {
            $0.location.range.file == ks.fileIDs[iface] ? $0.location : nil
        }
        cannot("nesting (invokes, nest) is not inferred: which callbacks the kernel runs inside others, or calls back "
               + "from a kfunc, depends on kernel paths import does not follow"
               + (nestingCheck == nil ? "" : " (scx_kf_allowed() refuses some nestings at run time)"),
               at: nestingCheck ?? st.location)
        out += "\n// Not inferred by import (each was reported with its location):\n"
        for n in notInferred { out += "// - \(n)\n" }

        // Canonical layout.
        let file = SourceFile(path: "\(name).policy", text: out)
        let (tree, bag) = Parser.parse(file, file: 0)
        var text = bag.hasErrors ? out : Formatter.format(tree)
        if !text.hasSuffix("\n") { text += "\n" }
        return ImportResult(policyText: text, diagnostics: diagnostics)
    }

    /// The files the facts come from: the interface's, the struct's and the context enum's.
    func sourcesUsed(_ iface: Int, _ structFile: Int) -> [String] {
        var out = [ks.fileNames[iface]]
        if !out.contains(ks.fileNames[structFile]) { out.append(ks.fileNames[structFile]) }
        if let e = enumFile, !out.contains(e) { out.append(e) }
        return out
    }
}

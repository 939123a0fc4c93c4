// Reading what a kernel source tree says about a struct_ops interface: the struct's members,
// the BTF kfunc sets with their KF_ flags, which program types each set is registered for,
// and every kfunc's definition. Kernel sources cannot be parsed faithfully without a
// configured build (generated headers, the kernel's compiler flags), so this scans libclang's
// raw tokens of each file instead: both branches of an #if are seen, and the #if conditions
// around a fact are kept so messages can name them.

import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

/// A position in a kernel source file, as a range in the run's SourceManager.
public struct KernelLocation: Sendable {
    public let range: SourceRange
    /// The #if conditions around it, outermost first (e.g. `defined(CONFIG_EXT_GROUP_SCHED)`).
    public let conditions: [String]
}

/// One member of a struct definition.
public struct KernelMember: Sendable {
    public let name: String
    public let isFunctionPointer: Bool
    /// The declaration as C text, e.g. `void (*enqueue)(struct task_struct *p, u64 enq_flags)`.
    public let declaration: String
    public let location: KernelLocation
}

public struct KernelStruct: Sendable {
    public let name: String
    public let members: [KernelMember]
    public let location: KernelLocation
}

/// One `BTF_ID_FLAGS(func, name, flags)` of a set.
public struct KernelSetEntry: Sendable {
    public let kfunc: String
    /// The flags as written, split at `|` (`KF_RCU`, `KF_ACQUIRE`); empty for none.
    public let flags: [String]
    public let location: KernelLocation
}

public struct KernelSet: Sendable {
    public let name: String
    /// BTF_KFUNCS_START (a kfunc set) rather than BTF_SET8_START.
    public let isKfuncSet: Bool
    public var entries: [KernelSetEntry]
    public let location: KernelLocation
    /// The file it is defined in.
    public let file: String
}

/// `register_btf_kfunc_id_set(BPF_PROG_TYPE_X, &var)`, resolved to the set `var` points at.
public struct KernelRegistration: Sendable {
    public let progType: String
    public let idSetVariable: String
    public let set: String?
    public let filter: String?
    public let location: KernelLocation
}

/// A function definition or prototype.
public struct KernelFunction: Sendable {
    public let name: String
    /// The declaration up to its parameter list, as C text.
    public let signature: String
    /// Marked `__bpf_kfunc`.
    public let isKfunc: Bool
    public let isDefinition: Bool
    public let location: KernelLocation
    /// Where the body is: index into `KernelSource.files`, and token indices of `{` and `}`.
    let body: (file: Int, open: Int, close: Int)?
}

/// A failure to read the tree at all.
public struct KernelSourceError: Error, CustomStringConvertible {
    public let description: String
}

/// The facts of a kernel source tree that matter for one interface.
public final class KernelSource {
    public let root: String
    public private(set) var structs: [String: KernelStruct] = [:]
    /// Sets in the order they appear.
    public private(set) var sets: [KernelSet] = []
    public private(set) var registrations: [KernelRegistration] = []
    /// Definitions win over prototypes; the first definition wins.
    public private(set) var functions: [String: KernelFunction] = [:]
    /// The files scanned (relative to `root`), in order.
    public private(set) var fileNames: [String] = []
    let sources: SourceManager
    private(set) var files: [SourceTokens] = []
    private(set) var fileIDs: [Int] = []
    /// `struct btf_kfunc_id_set` variables: name -> (set, filter, location).
    private(set) var idSets: [String: (set: String?, filter: String?, location: KernelLocation)] = [:]

    /// Scans the C files under `root` that mention any of `structNames`, a BTF kfunc set, a
    /// `__bpf_kfunc`, or a kfunc registration. Files are added to `sources` so diagnostics can
    /// point into them.
    public init(root: String, structNames: [String], sources: SourceManager) throws {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.sources = sources
        var st = stat()
        guard stat(self.root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw KernelSourceError(description: "'\(root)' is not a directory")
        }
        let keywords = ["BTF_ID_FLAGS", "__bpf_kfunc", "register_btf_kfunc_id_set"] + structNames.map { "struct \($0)" }
        for rel in Self.cFiles(under: self.root) {
            let path = self.root + "/" + rel
            guard let bytes = try? readFileBytes(path),
                  keywords.contains(where: { bytes.containsBytes(Array($0.utf8)) }) else { continue }
            let tokens: SourceTokens
            do { tokens = try SourceTokens.lex(path: path, contents: String(decoding: bytes, as: UTF8.self)) } catch {
                throw KernelSourceError(description: "libclang cannot read '\(path)': \(error)")
            }
            fileNames.append(rel)
            files.append(tokens)
            fileIDs.append(sources.add(SourceFile(path: path, bytes: bytes)))
            scan(files.count - 1, structNames: Set(structNames))
        }
        // Resolve registrations to sets.
        registrations = registrations.map { r in
            let v = idSets[r.idSetVariable]
            return KernelRegistration(progType: r.progType, idSetVariable: r.idSetVariable, set: v?.set,
                                      filter: v?.filter, location: r.location)
        }
    }

    /// Records a file read after the initial scan.
    func appendFile(_ rel: String, _ st: SourceTokens, _ id: Int) {
        fileNames.append(rel)
        files.append(st)
        fileIDs.append(id)
    }

    /// Relative paths of .c and .h files, sorted, skipping trees that are not kernel code.
    static func cFiles(under root: String) -> [String] {
        var out: [String] = []
        func walk(_ rel: String) {
            guard let d = opendir(rel.isEmpty ? root : root + "/" + rel) else { return }
            defer { closedir(d) }
            var names: [(String, Bool)] = []
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) {
                    String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                names.append((name, e.pointee.d_type == UInt8(DT_DIR)))
            }
            for (name, isDir) in names.sorted(by: { $0.0 < $1.0 }) {
                let r = rel.isEmpty ? name : rel + "/" + name
                if isDir {
                    let notKernel = ["tools", "Documentation", "samples", "scripts", "usr", "LICENSES"]
                    if rel.isEmpty && notKernel.contains(name) { continue }
                    walk(r)
                } else if name.hasSuffix(".c") || name.hasSuffix(".h") {
                    out.append(r)
                }
            }
        }
        walk("")
        return out
    }

    func location(_ file: Int, _ tokenIndex: Int) -> KernelLocation {
        let t = files[file].code[tokenIndex]
        return KernelLocation(range: SourceRange(file: fileIDs[file], start: t.location.offset, end: t.endOffset),
                              conditions: files[file].conditions(at: tokenIndex))
    }

    /// `path:line:col` of a location, for messages.
    public func describe(_ l: KernelLocation) -> String { sources.describe(l.range) }

    // MARK: Scanning one file

    private func scan(_ f: Int, structNames: Set<String>) {
        let st = files[f]
        let code = st.code
        // BTF sets.
        var current: Int?
        for inv in btfInvocations(st) {
            let arg0 = inv.args.first ?? ""
            switch inv.macro {
            case "BTF_KFUNCS_START", "BTF_SET8_START":
                sets.append(KernelSet(name: arg0, isKfuncSet: inv.macro == "BTF_KFUNCS_START", entries: [],
                                      location: location(f, inv.tokenIndex), file: fileNames[f]))
                current = sets.count - 1
            case "BTF_KFUNCS_END", "BTF_SET8_END": current = nil
            case "BTF_ID_FLAGS":
                guard let c = current, inv.args.count > 1, arg0 == "func" else { continue }
                let flags = inv.args.count > 2
                    ? inv.args[2].split(separator: "|").map { String($0).trimmingSpaces }
                        .filter { !$0.isEmpty && $0 != "0" }
                    : []
                let entry = KernelSetEntry(kfunc: inv.args[1], flags: flags, location: location(f, inv.tokenIndex))
                sets[c].entries.append(entry)
            default: break
            }
        }
        var depth = 0
        var i = 0
        while i < code.count {
            let t = code[i]
            switch t.text {
            case "{": depth += 1
            case "}": depth -= 1
            default: break
            }
            if depth == 0 && t.text == "struct" && i + 2 < code.count && code[i + 2].text == "{"
                && structNames.contains(code[i + 1].text),
               let close = st.matching(i + 2) {
                scanStruct(f, name: code[i + 1].text, at: i + 1, open: i + 2, close: close)
                i = close + 1
                continue
            }
            if t.text == "btf_kfunc_id_set" && i + 3 < code.count && code[i + 2].text == "=" && code[i + 3].text == "{",
               let close = st.matching(i + 3) {
                var set: String?, filter: String?
                let fields = splitArguments(Array(code[(i + 4)..<close]))
                for field in fields where field.count >= 4 && field[0].text == "." {
                    let value = field[3...].filter { $0.text != "&" }.map(\.text).joined()
                    if field[1].text == "set" { set = value }
                    if field[1].text == "filter" { filter = value }
                }
                idSets[code[i + 1].text] = (set, filter, location(f, i + 1))
                i = close + 1
                continue
            }
            if t.text == "register_btf_kfunc_id_set", let (args, _) = st.arguments(at: i + 1), args.count == 2 {
                let v = args[1].filter { $0.text != "&" }.map(\.text).joined()
                registrations.append(KernelRegistration(progType: tokenText(args[0]), idSetVariable: v, set: nil,
                                                        filter: nil, location: location(f, i)))
            }
            if depth == 0 && t.kind == .identifier && i + 1 < code.count && code[i + 1].text == "(" {
                if let next = scanFunction(f, nameAt: i) { i = next; continue }
            }
            i += 1
        }
    }

    private func scanStruct(_ f: Int, name: String, at: Int, open: Int, close: Int) {
        let code = files[f].code
        var members: [KernelMember] = []
        var start = open + 1
        var depth = 0
        for j in (open + 1)..<close {
            switch code[j].text {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            case ";" where depth == 0:
                if let m = member(f, start, j) { members.append(m) }
                start = j + 1
            default: break
            }
        }
        if structs[name] == nil {
            structs[name] = KernelStruct(name: name, members: members, location: location(f, at))
        }
    }

    /// A member declaration in tokens [from, to).
    private func member(_ f: Int, _ from: Int, _ to: Int) -> KernelMember? {
        let code = files[f].code
        guard from < to else { return nil }
        let decl = Array(code[from..<to])
        // `ret (*name)(params)`: a function pointer.
        for j in 0..<max(0, decl.count - 3) where decl[j].text == "(" && decl[j + 1].text == "*"
            && decl[j + 2].kind == .identifier && decl[j + 3].text == ")" {
            return KernelMember(name: decl[j + 2].text, isFunctionPointer: true, declaration: tokenText(decl),
                                location: location(f, from + j + 2))
        }
        // Otherwise the last identifier before any array bound or bit-field width.
        var end = decl.count
        if let k = decl.firstIndex(where: { $0.text == "[" || $0.text == ":" }) { end = k }
        guard let k = decl[..<end].lastIndex(where: { $0.kind == .identifier }) else { return nil }
        return KernelMember(name: decl[k].text, isFunctionPointer: false, declaration: tokenText(decl),
                            location: location(f, from + k))
    }

    /// A function definition or prototype whose name is at `nameAt` (at file scope). Returns the
    /// index after it, or nil when the tokens are not one.
    private func scanFunction(_ f: Int, nameAt i: Int) -> Int? {
        let st = files[f]
        let code = st.code
        guard let (_, close) = st.arguments(at: i + 1) else { return nil }
        // Attributes between the parameters and the body: identifiers and parenthesized lists.
        var j = close + 1
        while j < code.count, code[j].kind == .identifier || code[j].kind == .keyword {
            j += 1
            if j < code.count, code[j].text == "(", let c = st.matching(j) { j = c + 1 }
        }
        guard j < code.count, code[j].text == "{" || code[j].text == ";" else { return nil }
        // The declaration starts after the previous `;` or `}`, or after a `)` that ends a line
        // (a macro invocation without a semicolon, such as BTF_KFUNCS_END(...)).
        var s = i
        while s > 0 {
            let p = code[s - 1]
            if p.text == ";" || p.text == "}" || p.text == "{" || p.text == "=" { break }
            if p.text == ")" && code[s].location.line > p.location.line { break }
            s -= 1
        }
        let prefix = code[s..<i]
        // Control statements and macro invocations at file scope are not functions.
        if prefix.isEmpty && code[j].text == ";" { return nil }
        if prefix.contains(where: { $0.text == "typedef" || $0.text == "(" }) { return nil }
        let isKfunc = prefix.contains { $0.text == "__bpf_kfunc" }
        let hidden: Set<String> = ["__bpf_kfunc", "static", "inline", "__always_inline", "noinline"]
        let shown = prefix.filter { !hidden.contains($0.text) }
        let sig = tokenText(Array(shown) + Array(code[i...close]))
        let isDef = code[j].text == "{"
        var body: (Int, Int, Int)?
        // Continue inside the body: facts such as registrations are in function bodies.
        let next = isDef ? j : j + 1
        if isDef, let end = st.matching(j) { body = (f, j, end) }
        let fn = KernelFunction(name: code[i].text, signature: sig, isKfunc: isKfunc, isDefinition: isDef,
                                location: location(f, i), body: body)
        if let old = functions[fn.name] {
            if !old.isDefinition && isDef { functions[fn.name] = fn }
        } else {
            functions[fn.name] = fn
        }
        return next
    }

    // MARK: Queries

    /// The sets (in order) that list `kfunc`, with the entry.
    public func entries(of kfunc: String) -> [(set: KernelSet, entry: KernelSetEntry)] {
        sets.flatMap { s in s.entries.filter { $0.kfunc == kfunc }.map { (s, $0) } }
    }

    public func set(named name: String) -> KernelSet? { sets.first { $0.name == name } }

    /// The program types (`BPF_PROG_TYPE_*`) each set is registered for.
    public func registrations(of set: String) -> [KernelRegistration] { registrations.filter { $0.set == set } }

    /// A kfunc's definition (or declaration) as C text and where it is.
    public func signature(ofKfunc name: String) -> (text: String, location: String)? {
        guard let f = functions[name] else { return nil }
        return ((f.isKfunc ? "__bpf_kfunc " : "") + f.signature, describe(f.location))
    }
}

extension Array where Element == UInt8 {
    /// True when `needle` occurs in the bytes.
    func containsBytes(_ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard count >= needle.count else { return false }
        return withUnsafeBufferPointer { h in
            let first = needle[0], last = count - needle.count
            var i = 0
            while i <= last {
                if h[i] == first {
                    var j = 1
                    while j < needle.count && h[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}

// The contexts: the enum whose constants the call-op masks use, evaluated with libclang, one
// context per constant of at most one bit, a group per constant of several.

import KFPolicy

extension Importer {
    /// Finds the enum whose constants the masks use, evaluates it, and names the contexts.
    mutating func inferContexts(masks: [String]) throws {
        // A constant named in a mask: the first identifier of any mask.
        let firstConstant = masks.lazy.compactMap { m in
            m.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).first.map(String.init)
        }.first
        guard let constant = firstConstant, let (enumName, body, loc) = findEnum(containing: constant) else {
            cannot("the context constants (the enum the call-op masks use) were not found", at: nil)
            return
        }
        // Evaluate every constant and every mask with libclang.
        let consts = splitArguments(body).compactMap { item -> (String, KernelLocation?)? in
            guard let first = item.first, first.kind == .identifier else { return nil }
            return (first.text, nil)
        }
        enumPrelude = "enum \(enumName) { \(tokenText(body)) };"
        let exprs = consts.map(\.0) + masks
        let (values, errors) = try evaluateIntegerExpressions(exprs, prelude: enumPrelude)
        if let e = errors.first {
            cannot("libclang could not evaluate the context constants of enum \(enumName): \(e.message)", at: loc)
        }
        var valueOf: [String: Int64] = [:]
        for (i, v) in values.enumerated() { if let v { valueOf[exprs[i]] = v } }
        for m in masks { if let v = valueOf[m] { maskValues[m] = v } }
        // Contexts: constants with no bit or one bit, in bit order (the no-bit one first);
        // constants with several bits are groups.
        let prefix = commonPrefix(consts.map(\.0).filter { !$0.hasPrefix("__") })
        var singles: [(String, Int64)] = []
        for (c, _) in consts {
            guard let v = valueOf[c] else { continue }
            if v == 0 || v & (v - 1) == 0 { singles.append((c, v)) }
        }
        singles.sort { $0.1 < $1.1 }
        for (c, v) in singles {
            contextNames.append(String(c.dropFirst(prefix.count)).lowercased())
            contextBits.append(v)
            contextConstants.append(c)
        }
        for (c, _) in consts where !singles.contains(where: { $0.0 == c }) {
            guard let v = valueOf[c] else { continue }
            let set = contexts(of: v)
            var g = String(c.drop(while: { $0 == "_" }).dropFirst(prefix.count)).lowercased()
            if g.isEmpty || contextNames.contains(g) { g = "group_" + g }
            groups.append((g, c, set))
        }
        enumDescription = "the constants of enum \(enumName) (\(rel(loc))), in bit order, evaluated with libclang"
        enumFile = ks.sources.position(loc.range).map { relativePath($0.path) }
    }

    /// The contexts a C mask value stands for (0: the no-bit context).
    func contexts(of v: Int64) -> Set<Int> {
        var s = Set<Int>()
        for (i, b) in contextBits.enumerated() {
            if b == 0 { if v == 0 { s.insert(i) } } else if v & b == b { s.insert(i) }
        }
        return s
    }

    func commonPrefix(_ names: [String]) -> String {
        guard var p = names.first else { return "" }
        for n in names.dropFirst() { while !n.hasPrefix(p) { p.removeLast() } }
        // Cut back to the last underscore so names stay whole words.
        if let u = p.lastIndex(of: "_") { p = String(p[...u]) } else { p = "" }
        return p
    }

    /// The enum (name, body tokens, location) that declares `constant`: in the files already
    /// read, else in any file under the tree that mentions it.
    func findEnum(containing constant: String) -> (String, [ClangToken], KernelLocation)? {
        func search(_ st: SourceTokens, _ f: Int?) -> (String, [ClangToken], KernelLocation?)? {
            let c = st.code
            for i in c.indices where c[i].text == "enum" && i + 2 < c.count && c[i + 2].text == "{" {
                guard let close = st.matching(i + 2) else { continue }
                let body = Array(c[(i + 3)..<close])
                if body.contains(where: { $0.text == constant }) {
                    return (c[i + 1].text, body, f.map { ks.location($0, i + 1) })
                }
            }
            return nil
        }
        for (f, st) in ks.files.enumerated() {
            if let (n, b, l) = search(st, f), let l { return (n, b, l) }
        }
        for relPath in KernelSource.cFiles(under: ks.root) where !ks.fileNames.contains(relPath) {
            let path = ks.root + "/" + relPath
            guard let bytes = try? readFileBytes(path), bytes.containsBytes(Array(constant.utf8)),
                  let st = try? SourceTokens.lex(path: path, contents: String(decoding: bytes, as: UTF8.self))
            else { continue }
            ks.adopt(relPath, st, bytes)
            if let (n, b, _) = search(st, nil), let i = st.code.firstIndex(where: { $0.text == n }) {
                return (n, b, ks.location(ks.files.count - 1, i))
            }
        }
        return nil
    }

    /// The value of a mask argument, evaluated against the context enum.
    mutating func maskValue(_ tokens: [ClangToken]) -> Int64? {
        let text = tokenText(tokens)
        if let v = maskValues[text] { return v }
        guard !enumPrelude.isEmpty, let r = try? evaluateIntegerExpressions([text], prelude: enumPrelude),
              let v = r.values.first ?? nil else { return nil }
        maskValues[text] = v
        return v
    }
}

extension KernelSource {
    /// Adds a file read after the initial scan (to find a declaration elsewhere in the tree).
    func adopt(_ rel: String, _ st: SourceTokens, _ bytes: [UInt8]) {
        appendFile(rel, st, sources.add(SourceFile(path: root + "/" + rel, bytes: bytes)))
    }
}

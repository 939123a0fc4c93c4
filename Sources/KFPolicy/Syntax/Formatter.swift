// The formatter: prints a syntax tree in the canonical layout. It keeps every comment and the
// blank lines that separate declarations (several collapse to one); it is idempotent.

public enum Formatter {
    /// Formats one parsed file. The caller must not pass a file with syntax errors.
    public static func format(_ file: SyntaxFile) -> String {
        var out = ""
        items(file.items, indent: "", into: &out)
        var t = Trivia()
        t.leading = file.trailingComments
        t.blankBefore = file.trailingComments.first?.blankBefore ?? false
        leading(t, indent: "", first: file.items.isEmpty, into: &out)
        return out
    }

    static func items(_ list: [Item], indent: String, into out: inout String) {
        for (n, item) in list.enumerated() {
            leading(item.trivia, indent: indent, first: n == 0, into: &out)
            self.item(item, indent: indent, into: &out)
            trailing(item.trivia, into: &out)
        }
    }

    static func leading(_ t: Trivia, indent: String, first: Bool, into out: inout String) {
        for (i, c) in t.leading.enumerated() {
            if (i == 0 ? t.blankBefore : c.blankBefore), !first || i > 0 { out += "\n" }
            out += indent + c.text + "\n"
        }
        if t.leading.isEmpty ? t.blankBefore && !first : t.blankAfterComments { out += "\n" }
    }

    static func trailing(_ t: Trivia, into out: inout String) {
        if let c = t.trailing {
            out.removeLast() // the newline
            out += " " + c.text + "\n"
        }
    }

    static func names(_ ns: [Name]) -> String { ns.map(\.text).joined(separator: ", ") }

    static func item(_ item: Item, indent: String, into out: inout String) {
        switch item.kind {
        case .kfunc(let n, let stmts, let closing):
            out += indent + "kfunc \(n.text) {\n"
            for (i, s) in stmts.enumerated() {
                leading(s.trivia, indent: indent + "    ", first: i == 0, into: &out)
                out += indent + "    " + statement(s) + "\n"
                trailing(s.trivia, into: &out)
            }
            leading(closing, indent: indent + "    ", first: stmts.isEmpty, into: &out)
            out += indent + "}\n"
        case .conditional(let option, let inner, let closing):
            out += indent + "if \(option.text) {\n"
            items(inner, indent: indent + "    ", into: &out)
            leading(closing, indent: indent + "    ", first: inner.isEmpty, into: &out)
            out += indent + "}\n"
        default:
            out += indent + line(item.kind) + "\n"
        }
    }

    /// A one-line declaration.
    static func line(_ kind: Item.Kind) -> String {
        switch kind {
        case .policy(let n, let s, let vmlinux): return "policy \(n.text) for \(vmlinux == nil ? "" : "vmlinux ")struct \(s.text);"
        case .prefix(let p): return "prefix \(p.text);"
        case .kernel(let v): return "kernel \(v.text);"
        case .module(let m): return "module \(m.text);"
        case .nesting(let m): return "nesting \(m.text);"
        case .runtimeGuards: return "runtime_guards;"
        case .deny(let set): return "deny set \(set.text);"
        case .include(let path, _): return "include \(quote(path));"
        case .form(let path, _): return "form \(quote(path));"
        case .context(let n): return "context \(n.text);"
        case .requirement(let n): return "requirement \(n.text);"
        case .group(let n, let e): return "group \(n.text) = \(mask(e));"
        case .callback(let ns, let e, let props):
            return "callback \(names(ns)): \(mask(e))\(props.map { " " + $0.text }.joined());"
        case .set(let n, let types, let external):
            return "\(external == nil ? "" : "external ")set \(n.text): \(names(types));"
        case .nest(let a, let b): return "nest \(a.text) -> \(b.text);"
        case .kfunc, .conditional, .broken: return ""
        }
    }

    static func statement(_ s: KfuncStatement) -> String {
        switch s.kind {
        case .sets(let ns): return "in \(names(ns));"
        case .flags(let fs): return "flags \(fs.isEmpty ? "none" : fs.map(\.text).joined(separator: " | "));"
        case .allow(let e): return "allow \(mask(e));"
        case .requires(let ns): return "requires \(names(ns));"
        case .invokes(let ts):
            return "invokes \(ts.map { ($0.child == nil ? "" : "child ") + $0.callback.text }.joined(separator: ", "));"
        case .impl(let cbs, let sym): return "impl \(names(cbs)) = \(sym.text);"
        case .was(let ns): return "was \(names(ns));"
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// A mask in canonical spacing; parentheses are kept where the user wrote them.
    public static func mask(_ e: MaskExpr) -> String {
        switch e {
        case .name(let n): return n.text
        case .any: return "any"
        case .none: return "none"
        case .complement(let x, _): return "~" + mask(x)
        case .paren(let x, _): return "(" + mask(x) + ")"
        case .union(let xs): return xs.map(mask).joined(separator: " | ")
        case .chain(let x, let rest): return mask(x) + rest.map { " \($0.op.rawValue) " + mask($0.rhs) }.joined()
        }
    }
}

extension String {
    /// Replaces every occurrence of `target`, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        guard let first = target.first else { return nil }
        var i = startIndex
        while let j = self[i...].firstIndex(of: first) {
            if self[j...].hasPrefix(target) { return j..<index(j, offsetBy: target.count) }
            i = index(after: j)
        }
        return nil
    }
}

// Every name in one parsed file with its role (a context declared, a callback referred to, ...),
// so that hover, go-to-definition and completion know what the name under the cursor is. The
// role comes from the syntax: a context and a callback may share a name (`dispatch` in scx).

import KFPolicy

/// What a name in a policy stands for.
enum SymbolKind: String, Sendable {
    case policy, structName, prefix, context, group, callback, requirement, set, kfunc, flag, progType
    /// `kernel 6.12;`, `module NAME;`, `nesting per_instance;`, `if CONFIG_FOO`, `was OLD`.
    case kernel, module, nestingMode, config, oldName
    /// A name in a mask: a context or a group.
    case contextOrGroup
    /// A name after `requires`: a requirement or the built-in `sleepable`.
    case requirementOrBuiltin
    /// A kernel function after `impl ... =`.
    case symbol
    /// `sleepable` after a callback's mask.
    case property
}

/// One name in a file.
struct Occurrence: Sendable {
    let name: String
    let kind: SymbolKind
    /// True where the name is declared, false where it is referred to.
    let isDeclaration: Bool
    let start: Int
    let end: Int
}

/// The names of one file, and the files it names (`include` and `form` paths as written, and
/// the string's byte range).
struct FileSymbols {
    var occurrences: [Occurrence] = []
    var includes: [(path: String, start: Int, end: Int)] = []

    init(_ tree: SyntaxFile) {
        // Items inside `if CONFIG_FOO { ... }` are walked too, without recursion.
        var work = Array(tree.items.reversed())
        while let item = work.popLast() {
            if case .conditional(let option, let inner, _) = item.kind {
                note(option, .config)
                work.append(contentsOf: inner.reversed())
            } else {
                add(item)
            }
        }
    }

    /// The occurrence whose name holds byte `offset` (or ends right at it, for a cursor just
    /// after a name).
    func occurrence(at offset: Int) -> Occurrence? {
        occurrences.first { $0.start <= offset && offset < $0.end } ?? occurrences.first { $0.end == offset }
    }

    func include(at offset: Int) -> String? {
        includes.first { $0.start <= offset && offset <= $0.end }?.path
    }

    mutating func note(_ n: Name, _ kind: SymbolKind, declared: Bool = false) {
        occurrences.append(Occurrence(name: n.text, kind: kind, isDeclaration: declared,
                                      start: n.range.start, end: n.range.end))
    }

    mutating func note(_ ns: [Name], _ kind: SymbolKind, declared: Bool = false) {
        for n in ns { note(n, kind, declared: declared) }
    }

    mutating func add(_ item: Item) {
        switch item.kind {
        case .policy(let name, let s, _):
            note(name, .policy, declared: true)
            note(s, .structName)
        case .prefix(let p): note(p, .prefix, declared: true)
        case .kernel(let k): note(k, .kernel)
        case .module(let m): note(m, .module)
        case .nesting(let m): note(m, .nestingMode)
        case .deny(let set): note(set, .set)
        case .runtimeGuards, .conditional, .broken: break
        case .include(let path, let r), .form(let path, let r): includes.append((path, r.start, r.end))
        case .context(let n): note(n, .context, declared: true)
        case .group(let n, let e):
            note(n, .group, declared: true)
            add(e)
        case .callback(let ns, let e, let props):
            note(ns, .callback, declared: true)
            add(e)
            note(props, .property)
        case .requirement(let n): note(n, .requirement, declared: true)
        case .set(let n, let types, _):
            note(n, .set, declared: true)
            note(types, .progType)
        case .kfunc(let n, let statements, _):
            note(n, .kfunc, declared: true)
            for s in statements { add(s) }
        case .nest(let from, let to): note([from, to], .callback)
        }
    }

    mutating func add(_ s: KfuncStatement) {
        switch s.kind {
        case .sets(let ns): note(ns, .set)
        case .flags(let fs): note(fs, .flag)
        case .allow(let e): add(e)
        case .requires(let ns): note(ns, .requirementOrBuiltin)
        case .invokes(let targets): note(targets.map(\.callback), .callback)
        case .was(let ns): note(ns, .oldName)
        case .impl(let callbacks, let symbol):
            note(callbacks, .callback)
            note(symbol, .symbol)
        }
    }

    /// The names of a mask, iteratively: masks may be nested deeply.
    mutating func add(_ e: MaskExpr) {
        var work = [e]
        while let x = work.popLast() {
            switch x {
            case .name(let n): note(n, .contextOrGroup)
            case .any, .none: break
            case .complement(let inner, _), .paren(let inner, _): work.append(inner)
            case .union(let xs): work.append(contentsOf: xs.reversed())
            case .chain(let first, let rest):
                work.append(contentsOf: rest.map(\.rhs).reversed())
                work.append(first)
            }
        }
    }
}

/// A declaration in the checked model: its kind, name and where it is.
struct Declaration {
    let kind: SymbolKind
    let name: String
    let range: SourceRange
}

extension Policy {
    /// The declaration a name of `kind` refers to, if the model has it.
    func declaration(of name: String, as kind: SymbolKind) -> Declaration? {
        func find<T>(_ xs: [T], _ k: SymbolKind, _ n: (T) -> String, _ r: (T) -> SourceRange) -> Declaration? {
            xs.first { n($0) == name }.map { Declaration(kind: k, name: name, range: r($0)) }
        }
        switch kind {
        case .context: return find(contexts, .context, \.name, \.range)
        case .group: return find(groups, .group, \.name, \.range)
        case .contextOrGroup: return declaration(of: name, as: .context) ?? declaration(of: name, as: .group)
        case .callback:
            return callback(named: name).map { Declaration(kind: .callback, name: name, range: callbacks[$0].range) }
        case .kfunc: return kfunc(named: name).map { Declaration(kind: .kfunc, name: name, range: kfuncs[$0].range) }
        case .set: return find(sets, .set, \.name, \.range)
        case .requirement, .requirementOrBuiltin: return find(requirements, .requirement, \.name, \.range)
        case .policy: return name == self.name ? Declaration(kind: .policy, name: name, range: range) : nil
        default: return nil
        }
    }
}

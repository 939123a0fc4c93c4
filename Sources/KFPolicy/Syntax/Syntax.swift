// The syntax tree of a policy file: what the parser builds and the formatter prints.
// It keeps comments and blank lines so that `kfpolicy fmt` loses nothing.

/// A comment in the source, with where it sits relative to the tokens around it.
public struct Comment: Sendable, Equatable {
    /// The comment's text exactly as written, `//...` or `/*...*/`.
    public let text: String
    public let range: SourceRange
    /// True when the comment is the first thing on its line.
    public let ownLine: Bool
    /// True when one or more blank lines come before it.
    public let blankBefore: Bool
    /// `///` but not `////`.
    public var isDoc: Bool { text.hasPrefix("///") && !text.hasPrefix("////") }
}

/// An identifier (or a version number such as `6.12`) with its location.
public struct Name: Sendable, Equatable {
    public let text: String
    public let range: SourceRange
}

/// Comments around one declaration or statement.
public struct Trivia: Sendable, Equatable {
    /// Comments on lines before it (including its doc comment).
    public var leading: [Comment] = []
    /// True when a blank line separates it from what came before.
    public var blankBefore = false
    /// True when a blank line separates the last leading comment from it.
    public var blankAfterComments = false
    /// A comment after it on its last line.
    public var trailing: Comment?

    /// The text of the doc comment directly above (consecutive `///` lines), without markers.
    public var doc: String? {
        if blankAfterComments { return nil }
        var first = leading.endIndex
        while first > leading.startIndex {
            let c = leading[first - 1]
            guard c.isDoc, c.ownLine else { break }
            first -= 1
            if c.blankBefore { break }
        }
        if first == leading.endIndex { return nil }
        // The text after `///` and one space.
        return leading[first...].map { c -> Substring in
            let body = c.text.dropFirst(3)
            return body.first == " " ? body.dropFirst() : body
        }.joined(separator: "\n")
    }
}

/// A mask expression over contexts and groups. Chains are n-ary, so a long `a | b | c ...`
/// is flat and never recursed into deeply.
public indirect enum MaskExpr: Sendable, Equatable {
    case name(Name)
    case any(SourceRange)
    case none(SourceRange)
    /// `~e`
    case complement(MaskExpr, SourceRange)
    case paren(MaskExpr, SourceRange)
    /// `a | b | c`
    case union([MaskExpr])
    /// `a & b - c`: the first operand, then each operator and operand, applied left to right.
    case chain(MaskExpr, [MaskStep])

    public var range: SourceRange {
        switch self {
        case .name(let n): return n.range
        case .any(let r), .none(let r): return r
        case .complement(let e, let r): return r.through(e.range)
        case .paren(_, let r): return r
        case .union(let xs): return xs[0].range.through(xs[xs.count - 1].range)
        case .chain(let x, let rest): return x.range.through(rest.last?.rhs.range ?? x.range)
        }
    }
}

public enum MaskOp: String, Sendable { case and = "&", minus = "-" }

/// One `& operand` or `- operand` of a chain.
public struct MaskStep: Sendable, Equatable {
    public let op: MaskOp
    public let rhs: MaskExpr
}

/// A callback a kfunc invokes: of this instance, or (`child NAME`) of a child instance.
public struct InvokeTarget: Sendable {
    public let child: Name?
    public let callback: Name
}

/// One statement inside `kfunc NAME { ... }`.
public struct KfuncStatement: Sendable {
    public enum Kind: Sendable {
        case sets([Name])
        /// An empty list is `flags none`.
        case flags([Name])
        case allow(MaskExpr)
        case requires([Name])
        case invokes([InvokeTarget])
        case impl(callbacks: [Name], symbol: Name)
        /// `was OLD;`: the kfunc's earlier names.
        case was([Name])
    }
    public var kind: Kind
    public let keyword: Name
    public let range: SourceRange
    public var trivia: Trivia
}

/// One top-level declaration.
public struct Item: Sendable {
    public enum Kind: Sendable {
        /// `policy NAME for [vmlinux] struct STRUCT;`
        case policy(name: Name, structName: Name, vmlinux: Name?)
        case prefix(Name)
        /// `kernel 6.12;` or `kernel mainline;`
        case kernel(Name)
        /// `module NAME;`
        case module(Name)
        /// `nesting dag;` or `nesting per_instance;`
        case nesting(Name)
        /// `runtime_guards;`
        case runtimeGuards
        /// `deny set NAME;`: no callback of this struct may call the set's kfuncs.
        case deny(set: Name)
        case include(path: String, range: SourceRange)
        /// `form "other.policy";`: another struct whose callbacks sit at the same offsets with the
        /// same contexts shares this policy's header (one filter, one set of kfunc sets).
        case form(path: String, range: SourceRange)
        case context(Name)
        case group(Name, MaskExpr)
        case callback([Name], MaskExpr, properties: [Name])
        case requirement(Name)
        /// `[external] set NAME: TYPES;`
        case set(Name, progTypes: [Name], external: Name?)
        case kfunc(Name, [KfuncStatement], closing: Trivia)
        case nest(from: Name, to: Name)
        /// `if CONFIG_FOO { ... }`: declarations that exist only with a Kconfig option.
        case conditional(option: Name, items: [Item], closing: Trivia)
        /// A declaration whose syntax could not be read; `name` is the name it declares if the
        /// parser got that far. The error is reported already: later phases stay silent about it.
        case broken(name: Name?)
    }
    public var kind: Kind
    public let keyword: Name
    public let range: SourceRange
    public var trivia: Trivia
    /// True when a syntax error was recovered from inside it: the checker then skips checks
    /// that would only repeat that error.
    public var damaged = false
}

/// A parsed file: its items and the comments after the last one.
public struct SyntaxFile: Sendable {
    public let file: Int
    public var items: [Item]
    public var trailingComments: [Comment]
    public init(file: Int, items: [Item], trailingComments: [Comment]) {
        self.file = file
        self.items = items
        self.trailingComments = trailingComments
    }
}

extension SourceRange {
    /// From this range's start to the end of `other` (same file).
    public func through(_ other: SourceRange) -> SourceRange {
        SourceRange(file: file, start: start, end: max(end, other.end))
    }
}

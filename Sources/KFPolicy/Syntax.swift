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
    /// `///` but not `////`, compared as bytes.
    public var isDoc: Bool {
        var it = text.utf8.makeIterator()
        guard it.next() == 47, it.next() == 47, it.next() == 47 else { return false }
        return it.next() != 47
    }
}

/// An identifier with its location.
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
        // The text after `///` and one space.
        func body(_ c: Comment) -> Substring {
            let u = c.text.utf8
            var start = u.index(u.startIndex, offsetBy: 3)
            if start < u.endIndex, u[start] == 32 { start = u.index(after: start) }
            return Substring(u[start...])
        }
        var first = leading.endIndex
        while first > leading.startIndex {
            let c = leading[first - 1]
            guard c.isDoc, c.ownLine else { break }
            first -= 1
            if c.blankBefore { break }
        }
        if first == leading.endIndex { return nil }
        if first == leading.endIndex - 1 { return String(body(leading[first])) }
        return leading[first...].map(body).joined(separator: "\n")
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
    /// `a & b - c`: the first operand, then each (operator, operand) applied left to right.
    case chain(MaskExpr, [(op: MaskOp, rhs: MaskExpr)])

    public static func == (a: MaskExpr, b: MaskExpr) -> Bool {
        switch (a, b) {
        case let (.name(x), .name(y)): return x == y
        case let (.any(x), .any(y)), let (.none(x), .none(y)): return x == y
        case let (.complement(x, r), .complement(y, s)), let (.paren(x, r), .paren(y, s)): return x == y && r == s
        case let (.union(x), .union(y)): return x == y
        case let (.chain(x, xs), .chain(y, ys)):
            return x == y && xs.count == ys.count && zip(xs, ys).allSatisfy { $0.op == $1.op && $0.rhs == $1.rhs }
        default: return false
        }
    }

    public var range: SourceRange {
        switch self {
        case .name(let n): return n.range
        case .any(let r), .none(let r): return r
        case .complement(let e, let r): return SourceRange(file: r.file, start: r.start, end: e.range.end)
        case .paren(_, let r): return r
        case .union(let xs): return SourceRange(file: xs[0].range.file, start: xs[0].range.start, end: xs.last!.range.end)
        case .chain(let x, let rest): return SourceRange(file: x.range.file, start: x.range.start, end: rest.last?.rhs.range.end ?? x.range.end)
        }
    }
}

public enum MaskOp: String, Sendable { case and = "&", minus = "-" }

/// One statement inside `kfunc NAME { ... }`.
public struct KfuncStatement: Sendable {
    public enum Kind: Sendable {
        case sets([Name])
        /// An empty list is `flags none`.
        case flags([Name])
        case allow(MaskExpr)
        case requires([Name])
        case invokes([Name])
        case impl(callbacks: [Name], symbol: Name)
    }
    public var kind: Kind
    public let keyword: Name
    public let range: SourceRange
    public var trivia: Trivia
}

/// One top-level declaration.
public struct Item: Sendable {
    public enum Kind: Sendable {
        case policy(name: Name, structName: Name)
        case prefix(Name)
        case include(path: String, range: SourceRange)
        case context(Name)
        case group(Name, MaskExpr)
        case callback([Name], MaskExpr, properties: [Name])
        case requirement(Name)
        case set(Name, progTypes: [Name])
        case kfunc(Name, [KfuncStatement], closing: Trivia)
        case nest(from: Name, to: Name)
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
    /// The items in order, in one or more runs (a large file parsed in halves keeps one run
    /// per half: joining them would copy every item).
    public var parts: ItemList
    public var trailingComments: [Comment]
    /// Every item, in one array.
    public var items: [Item] { parts.array }

    public init(file: Int, items: [Item], trailingComments: [Comment]) {
        self.init(file: file, parts: ItemList([items]), trailingComments: trailingComments)
    }

    public init(file: Int, parts: ItemList, trailingComments: [Comment]) {
        self.file = file
        self.parts = parts
        self.trailingComments = trailingComments
    }
}

/// Items kept as runs of arrays and read in place by index, as one collection.
public struct ItemList: RandomAccessCollection, Sendable {
    public private(set) var runs: [[Item]] = []
    /// The index of each run's first item.
    var starts: [Int] = []
    public private(set) var count = 0

    public init(_ runs: [[Item]] = []) { for r in runs { append(run: r) } }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> Item {
        _read {
            // The last run whose start is at or before i: usually one or two runs, but a policy
            // that includes many files has a run per file, so a binary search.
            var lo = 0, hi = runs.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= i { lo = mid } else { hi = mid - 1 }
            }
            yield runs[lo][i - starts[lo]]
        }
    }

    /// Adds a run of items (no element is copied: the run's storage is shared).
    public mutating func append(run: [Item]) {
        guard !run.isEmpty else { return }
        starts.append(count)
        runs.append(run)
        count += run.count
    }

    public mutating func append(contentsOf other: ItemList) { for r in other.runs { append(run: r) } }

    /// Adds one item to the last run.
    public mutating func append(_ item: Item) {
        if runs.isEmpty { starts.append(0); runs.append([]) }
        runs[runs.count - 1].append(item)
        count += 1
    }

    /// The items in one array (a copy unless there is a single run).
    public var array: [Item] { runs.count == 1 ? runs[0] : runs.flatMap { $0 } }
}

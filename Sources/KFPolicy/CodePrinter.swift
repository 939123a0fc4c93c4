// An indentation-aware text buffer that every emitter writes into.

public struct CodePrinter {
    public private(set) var text = ""
    /// For each line printed, the policy declaration it came from (`.none` when none), so a
    /// problem found in the generated text can be traced back to the policy.
    public private(set) var origins: [SourceRange] = []
    /// The declaration the next lines come from, unless a line names its own.
    public var origin = SourceRange.none
    var level = 0
    let unit: String

    public init(indent unit: String = "\t") { self.unit = unit }

    /// Prints one line at the current indentation (an empty string prints an empty line).
    public mutating func line(_ s: String = "") {
        origins.append(origin)
        if s.isEmpty { text += "\n"; return }
        for _ in 0..<level { text += unit }
        text += s
        text += "\n"
    }

    /// Prints one line that comes from the declaration at `range`.
    public mutating func line(_ s: String, from range: SourceRange) {
        let saved = origin
        origin = range
        line(s)
        origin = saved
    }

    /// Prints each line of a multi-line string at the current indentation.
    public mutating func lines(_ s: String) {
        for l in s.split(separator: "\n", omittingEmptySubsequences: false) { line(String(l)) }
    }

    public mutating func indent() { level += 1 }
    public mutating func outdent() { level -= 1 }

    /// `header {`, the body one level in, then `footer`.
    public mutating func block(_ header: String, _ footer: String = "}", _ body: (inout CodePrinter) -> Void) {
        line(header)
        indent()
        body(&self)
        outdent()
        line(footer)
    }

    /// A C block comment; each line of `s` becomes ` * line`.
    public mutating func comment(_ s: String) {
        let ls = s.split(separator: "\n", omittingEmptySubsequences: false)
        if ls.count == 1 { line("/* \(s) */"); return }
        line("/*")
        for l in ls { line(l.isEmpty ? " *" : " * \(l)") }
        line(" */")
    }
}

// An indentation-aware text buffer that every emitter writes into.

public struct CodePrinter {
    /// The text printed so far.
    public private(set) var text = ""
    /// For each line printed, the policy declaration it came from (`.none` when none), so a
    /// problem found in the generated text can be traced back to the policy.
    public private(set) var origins: [SourceRange] = []
    /// The declaration the next lines come from, unless a line names its own.
    public var origin = SourceRange.none
    var level = 0
    let unit: String

    public init(indent unit: String = "\t") { self.unit = unit }

    /// Prints one line at the current indentation (an empty line prints no indentation).
    public mutating func line(_ l: String = "") {
        origins.append(origin)
        if !l.isEmpty { text += String(repeating: unit, count: level) + l }
        text += "\n"
    }

    /// Prints one line that comes from the declaration at `range`.
    public mutating func line(_ l: String, from range: SourceRange) {
        let saved = origin
        origin = range
        line(l)
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

    /// The columns a line takes on screen, a tab moving to the next multiple of 8.
    public static func width(_ s: String) -> Int {
        var w = 0
        for c in s.utf8 { w = c == 9 ? (w / 8 + 1) * 8 : w + 1 }
        return w
    }

    /// The columns the current indentation takes.
    var indentWidth: Int { CodePrinter.width(String(repeating: unit, count: level)) }

    /// A C block comment; each line of `s` becomes ` * line`, long lines broken at spaces so
    /// that none passes `limit` columns.
    public mutating func comment(_ s: String, limit: Int = 100) {
        let room = limit - indentWidth - 3
        let ls = s.split(separator: "\n", omittingEmptySubsequences: false).flatMap { l -> [String] in
            CodePrinter.width(String(l)) <= room ? [String(l)] : String(l).wrapped(room).split(separator: "\n").map(String.init)
        }
        if ls.count == 1, CodePrinter.width(ls[0]) + 6 <= limit - indentWidth { line("/* \(ls[0]) */"); return }
        line("/*")
        for l in ls { line(l.isEmpty ? " *" : " * \(l)") }
        line(" */")
    }
}

extension String {
    /// The text broken into lines of at most `width` columns, at spaces.
    func wrapped(_ width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}

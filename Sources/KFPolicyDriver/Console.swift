// The process's side of reporting: exit statuses, standard error, whether standard error is a
// terminal, and printing diagnostics in the format the user chose.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KFPolicy
import KFPolicyRender

/// Documented exit statuses, shared by every command.
public enum ExitStatus: Int32, Sendable {
    /// Everything checked out (warnings allowed).
    case success = 0
    /// The policy has errors, a file is not formatted (`fmt --check`), an output is stale
    /// (`gen --check`) or a kfunc is denied (`explain`).
    case policyError = 1
    /// Bad usage or a file that cannot be read or written.
    case usageOrIO = 2
    /// kfpolicy found a bug in itself (e.g. generated code that disagrees with the model).
    case internalError = 3
}

/// Ends a command with `status`, its messages already printed.
public struct ExitWith: Error, Sendable {
    public let status: ExitStatus
    public init(status: ExitStatus) { self.status = status }
}

/// Standard error, written with write(2) so messages go out unbuffered and in order.
public enum StandardError {
    public static func print(_ s: String) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                break
            }
            off += n
        }
    }
}

/// What the terminal allows.
public enum Terminal {
    /// Whether output on `fd` should be coloured when the user left it to us: a terminal, and
    /// no `NO_COLOR` in the environment (no-color.org).
    public static func wantsColor(fd: Int32) -> Bool { isatty(fd) != 0 && getenv("NO_COLOR") == nil }
}

/// How diagnostics are printed: compiler-style text on standard error, or JSON on standard output.
public enum DiagnosticsFormat: String, Sendable, CaseIterable { case text, json }

/// Prints diagnostics in one format, with a count of errors and warnings after text.
public struct DiagnosticPrinter: Sendable {
    public let format: DiagnosticsFormat
    public let color: Bool

    public init(format: DiagnosticsFormat, color: Bool) { self.format = format; self.color = color }

    /// `dropped...`: diagnostics found past DiagnosticBag.storedLimit, counted but not kept.
    public func print(_ ds: [Diagnostic], sources: SourceManager, droppedErrors: Int = 0, droppedWarnings: Int = 0) {
        let r = DiagnosticRenderer(sources: sources, color: color)
        switch format {
        case .text:
            for d in ds { StandardError.print(r.render(d)) }
            if droppedErrors + droppedWarnings > 0 {
                StandardError.print("kfpolicy: \(droppedErrors + droppedWarnings) more diagnostics not shown "
                                        + "(the first \(DiagnosticBag.storedLimit) are)\n")
            }
            let e = ds.filter { $0.severity == .error }.count + droppedErrors
            let w = ds.filter { $0.severity == .warning }.count + droppedWarnings
            if e + w > 0 { StandardError.print("\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")\n") }
        case .json:
            Swift.print(r.json(ds), terminator: "")
        }
    }

    /// A compilation's diagnostics, in source order. Returns true when it has errors.
    @discardableResult
    public func print(_ c: Compilation) -> Bool {
        print(c.diagnostics.sorted, sources: c.sources,
              droppedErrors: c.diagnostics.droppedErrors, droppedWarnings: c.diagnostics.droppedWarnings)
        return c.diagnostics.hasErrors
    }
}

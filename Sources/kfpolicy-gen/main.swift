// kfpolicy-gen: `kfpolicy gen` without libclang or ArgumentParser, for the SwiftPM build plugin
// (and any build that wants the smallest generator). Argument parsing only; the work is
// KFPolicyDriver's GenDriver, exactly as for `kfpolicy gen`, without libclang validation.

import KFPolicy
import KFPolicyDriver
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: kfpolicy-gen [--emit KIND...] [-o DIR] [--depfile FILE] [--check] [--allow-include-only] FILE.policy...

    Writes DIR/<stem>_kfpolicy.h (--emit c, the default) and/or DIR/<Stem>Policy.swift (--emit swift)
    for each policy, as 'kfpolicy gen' does. Files are written only when their bytes change.
      --emit KIND...         c, swift, or both
      -o, --output DIR       output directory (default: Generated)
      --depfile FILE         write a make rule listing every policy and include read
      --check                write nothing; exit 1 and show a diff when an output is missing or stale
      --allow-include-only   a file that declares no policy (shared declarations for others to
                             include) is not an error: it gets a Swift file with no tables
    Exit status: 0 success; 1 policy errors or stale outputs; 2 usage or I/O errors.

    """

/// Parses the command line; exits 2 with a message on bad usage.
func parse(_ arguments: [String]) -> GenRequest {
    func fail(_ message: String) -> Never {
        StandardError.print("kfpolicy-gen: error: \(message)\n")
        exit(ExitStatus.usageOrIO.rawValue)
    }
    var r = GenRequest(tool: "kfpolicy-gen", command: "kfpolicy-gen", files: [])
    var emit: [OutputKind] = []
    var args = arguments[...]
    while let a = args.popFirst() {
        func value() -> String {
            guard let v = args.popFirst() else { fail("\(a) needs a value\n\(usage)") }
            return v
        }
        switch a {
        case "--emit":
            // One or more kinds, as `kfpolicy gen --emit c swift`.
            var kinds = [value()]
            while let next = args.first, OutputKind(rawValue: next) != nil { kinds.append(next); args.removeFirst() }
            for v in kinds {
                guard let k = OutputKind(rawValue: v) else {
                    let kinds = OutputKind.allCases.map(\.rawValue).joined(separator: ", ")
                    fail("unknown output kind '\(v)' (expected one of: \(kinds))")
                }
                if !emit.contains(k) { emit.append(k) }
            }
        case "-o", "--output": r.outputDirectory = value()
        case "--depfile": r.depfile = value()
        case "--check": r.check = true
        case "--allow-include-only": r.allowIncludeOnly = true
        case "-h", "--help": print(usage, terminator: ""); exit(0)
        case "--version": print(kfpolicyVersion); exit(0)
        default:
            if a.hasPrefix("-") && a != "-" { fail("unknown option '\(a)'\n\(usage)") }
            r.files.append(a)
        }
    }
    if r.files.isEmpty { fail("no policy file given\n\(usage)") }
    if !emit.isEmpty { r.emit = emit }
    return r
}

do {
    let request = parse(Array(CommandLine.arguments.dropFirst()))
    try GenDriver(request, printer: DiagnosticPrinter(format: .text, color: false)).run()
} catch {
    exit(error.status.rawValue)
}

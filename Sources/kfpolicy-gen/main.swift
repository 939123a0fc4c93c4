// kfpolicy-gen: `kfpolicy gen` without libclang or ArgumentParser, for the SwiftPM build plugin
// (and any build that wants the smallest generator). Argument handling and rendering only; what
// is generated is decided by the KFPolicy library, exactly as for `kfpolicy gen`.

import KFPolicy
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: kfpolicy-gen [--emit KIND]... [-o DIR] [--depfile FILE] [--allow-include-only] FILE.policy...

    Writes DIR/<stem>_kfpolicy.h (--emit c, the default) and/or DIR/<Stem>Policy.swift (--emit swift)
    for each policy, as 'kfpolicy gen' does. Files are written only when their bytes change.
      --emit KIND            c or swift; repeat for both
      -o, --output DIR       output directory (default: Generated)
      --depfile FILE         write a make rule listing every policy and include read
      --allow-include-only   a file that declares no policy (shared declarations for others to
                             include) is not an error: it gets a Swift file with no tables
    Exit status: 0 success; 1 policy errors; 2 usage or I/O errors.

    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    var s = "kfpolicy-gen: error: \(message)\n"
    _ = s.withUTF8 { write(2, $0.baseAddress, $0.count) }
    exit(status)
}

func eprint(_ s: String) {
    var s = s
    _ = s.withUTF8 { write(2, $0.baseAddress, $0.count) }
}

var emit: [OutputKind] = []
var output = "Generated"
var depfile: String?
var allowIncludeOnly = false
var files: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    func value() -> String {
        guard let v = args.popFirst() else { fail("\(a) needs a value\n\(usage)") }
        return v
    }
    switch a {
    case "--emit":
        let v = value()
        guard let k = OutputKind(rawValue: v) else {
            fail("unknown output kind '\(v)' (expected one of: \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if !emit.contains(k) { emit.append(k) }
    case "-o", "--output": output = value()
    case "--depfile": depfile = value()
    case "--allow-include-only": allowIncludeOnly = true
    case "-h", "--help": print(usage, terminator: ""); exit(0)
    case "--version": print(kfpolicyVersion); exit(0)
    default:
        if a.hasPrefix("-") && a != "-" { fail("unknown option '\(a)'\n\(usage)") }
        files.append(a)
    }
}
if files.isEmpty { fail("no policy file given\n\(usage)") }
if emit.isEmpty { emit = [.c] }

let sources = SourceManager()
var planned: [GeneratedFile] = []
var inputs: [String] = []
var failed = false
for f in files {
    let c: Compilation
    do { c = try Compilation.compile(path: f, sources: sources) } catch { fail("cannot read \(error)") }
    if allowIncludeOnly && c.isIncludeOnly {
        // Its facts are checked, and reported, as part of each policy that includes it.
        planned += Generator.includeOnlyOutputs(path: f, emit: emit)
        for i in c.policy.files where !inputs.contains(i) { inputs.append(i) }
        continue
    }
    let r = DiagnosticRenderer(sources: sources, color: false)
    for d in c.diagnostics.sorted { eprint(r.render(d)) }
    if c.diagnostics.hasErrors { failed = true; continue }
    planned += Generator.outputs(c.policy, path: f, emit: emit)
    for i in c.policy.files where !inputs.contains(i) { inputs.append(i) }
}
// Nothing is written unless every policy compiled.
if failed { exit(1) }
do {
    try makeDirectory(output)
    for g in planned { try writeIfChanged(output + "/" + g.name, g.bytes) }
    if let depfile {
        try writeIfChanged(depfile, Array(Generator.depfile(targets: planned.map { output + "/" + $0.name }, inputs: inputs).utf8))
    }
} catch {
    fail("\(error)")
}

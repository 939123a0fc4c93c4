// kfpolicy gen

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

extension OutputKind: ExpressibleByArgument {}

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the kernel C header (and other outputs) from policies.",
        discussion: """
            Writes DIR/<stem>_kfpolicy.h (--emit c, the default) and/or DIR/<Stem>Policy.swift \
            (--emit swift, Swift tables) for each FILE.policy. A file is written only when its \
            bytes change, and atomically (a temporary file renamed into place), so an \
            interrupted run never leaves a truncated output and make does not rebuild needlessly.
            """)

    @Argument(help: "Policy files.") var files: [String]
    @Option(name: .shortAndLong, help: "Output directory.") var output: String = "Generated"
    @Option(parsing: .upToNextOption, help: "Outputs to write: \(OutputKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: [OutputKind] = [.c]
    @Option(help: "Write a make dependency file listing every policy and include read.") var depfile: String?
    @Flag(help: "Write nothing; exit 1 and show a diff when an output is missing or stale.") var check = false
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let sources = SourceManager()
        var planned: [(path: String, bytes: [UInt8])] = []
        var inputs: [String] = []
        var failed = false
        for f in files {
            let c = try compileOrExit(f, sources: sources)
            report(c, diagnostics)
            if c.diagnostics.hasErrors { failed = true; continue }
            for g in Generator.outputs(c.policy, path: f, emit: emit) {
                planned.append((output + "/" + g.name, Array(g.contents.utf8)))
            }
            for i in c.policy.files where !inputs.contains(i) { inputs.append(i) }
        }
        // Nothing is written unless every policy compiled.
        if failed { throw ExitWith(status: .policyError) }
        if check {
            var stale = false
            for (path, bytes) in planned {
                let old = try? readFileBytes(path)
                if old == bytes { continue }
                stale = true
                eprint("\(path): \(old == nil ? "missing" : "stale"); run 'kfpolicy gen \(files.joined(separator: " "))\(output == "Generated" ? "" : " -o \(output)")\(emit == [.c] ? "" : " --emit " + emit.map(\.rawValue).joined(separator: " "))'\n")
                if let old { print(lineDiff(old: String(decoding: old, as: UTF8.self), new: String(decoding: bytes, as: UTF8.self), path: path), terminator: "") }
            }
            if stale { throw ExitWith(status: .policyError) }
            return
        }
        do {
            try makeDirectory(output)
            for (path, bytes) in planned { try writeIfChanged(path, bytes) }
            if let depfile {
                try writeIfChanged(depfile, Array(Generator.depfile(targets: planned.map(\.path), inputs: inputs).utf8))
            }
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
    }
}

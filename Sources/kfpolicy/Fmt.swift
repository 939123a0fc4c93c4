// kfpolicy fmt

import ArgumentParser
import KFPolicy
import KFPolicyDriver
#if canImport(Glibc)
import Glibc
#endif

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite policy files in the canonical layout (comments are kept).")

    @Argument(help: "Policy files to format in place.") var files: [String]
    @Flag(help: "Do not write; exit 1 and list the files that are not formatted.") var check = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        var unformatted: [String] = []
        for f in files {
            let bytes: [UInt8]
            do { bytes = try readFileBytes(f) } catch {
                eprint("kfpolicy: error: cannot read \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
            let sources = SourceManager()
            let id = sources.add(SourceFile(path: f, bytes: bytes))
            let (tree, bag) = Parser.parse(sources.files[id], file: id)
            if bag.hasErrors {
                report(bag.sorted, sources: sources, output)
                eprint("kfpolicy: error: not formatting '\(f)': it has syntax errors\n")
                throw ExitWith(status: .policyError)
            }
            let formatted = Formatter.format(tree)
            if Array(formatted.utf8) == bytes { continue }
            if check { unformatted.append(f); continue }
            do { try writeFileAtomically(f, Array(formatted.utf8)) } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        }
        if !unformatted.isEmpty {
            for f in unformatted { eprint("\(f): not formatted; run 'kfpolicy fmt \(f)'\n") }
            throw ExitWith(status: .policyError)
        }
    }
}

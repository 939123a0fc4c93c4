// kfpolicy fmt

import ArgumentParser
import KFPolicy
import KFPolicyDriver
#if canImport(Glibc)
import Glibc
#endif

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite policy files in the canonical layout (comments are kept).",
        discussion: """
            'kfpolicy fmt -' reads a policy from standard input and writes it formatted to standard \
            output (for editors that format on save); with a syntax error it writes nothing and \
            exits 1. With --check, '-' writes nothing and exits 1 when the input is not formatted.
            """)

    @Argument(help: "Policy files to format in place, or '-' for standard input to standard output.")
    var files: [String]
    @Option(help: "The file name to give standard input in diagnostics (with '-').") var stdinName = "<stdin>"
    @Flag(help: "Do not write; exit 1 and list the files that are not formatted.") var check = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if files.contains("-") && files.count > 1 {
            throw ValidationError("'-' (standard input) must be the only file")
        }
    }

    func run() throws {
        var unformatted: [String] = []
        for f in files {
            let bytes: [UInt8]
            do { bytes = f == "-" ? try readStandardInput() : try readFileBytes(f) } catch {
                eprint("kfpolicy: error: cannot read \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
            let name = f == "-" ? stdinName : f
            let sources = SourceManager()
            let id = sources.add(SourceFile(path: name, bytes: bytes))
            let (tree, bag) = Parser.parse(sources.files[id], file: id)
            if bag.hasErrors {
                report(bag.sorted, sources: sources, output)
                eprint("kfpolicy: error: not formatting '\(name)': it has syntax errors\n")
                throw ExitWith(status: .policyError)
            }
            let formatted = Formatter.format(tree)
            if f == "-" && !check {
                print(formatted, terminator: "")
                continue
            }
            if Array(formatted.utf8) == bytes { continue }
            if check { unformatted.append(f); continue }
            do { try writeFileAtomically(f, Array(formatted.utf8)) } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        }
        if !unformatted.isEmpty {
            for f in unformatted {
                eprint(f == "-" ? "\(stdinName): not formatted\n" : "\(f): not formatted; run 'kfpolicy fmt \(f)'\n")
            }
            throw ExitWith(status: .policyError)
        }
    }
}

/// All of standard input.
func readStandardInput() throws(FileError) -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw FileError(path: "<stdin>", reason: String(cString: strerror(errno))) }
        if n == 0 { return out }
        out.append(contentsOf: chunk[0..<n])
    }
}

// kfpolicy lint

import ArgumentParser
import KFPolicy
import KFPolicyClang
#if canImport(Glibc)
import Glibc
#endif

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check BPF C programs against a policy: every kfunc call from every struct_ops callback.",
        discussion: """
            Parses the files together with libclang (as '-target bpf -D__TARGET_ARCH_x86' plus the \
            clang arguments after '--'), finds the struct_ops maps of the policy's struct and the \
            programs they bind, follows calls through the programs' functions and macros, and \
            reports each kfunc call the policy does not allow from that callback, with the call \
            chain and the policy lines that decide it. kfuncs the policy does not know and calls \
            it cannot follow are warnings. Exit status: 0 no error, 1 errors found, 2 usage or I/O.
            """)

    @Option(help: "The policy to check against: a file, or a policy's name (scx, scx@6.12; see 'kfpolicy --help').")
    var policy: String
    @Argument(help: ArgumentHelp("The program's C files (all of them, so calls between files are followed), then '--' and clang arguments (include paths, defines).",
                                 valueName: "files"))
    var arguments: [String] = []
    @Option(name: .customLong("compile-commands"),
            help: "A compile_commands.json (or its directory): take each file's clang arguments from it; with no FILES, lint its .bpf.c entries.")
    var compileCommands: String?
    @OptionGroup var output: OutputOptions
    @Option(help: reportFormatHelp) var format: ReportFormat?
    @Flag(help: "Treat warnings as errors.") var warningsAsErrors = false

    /// The files, and the clang arguments after the first `--` (the parser puts both in
    /// `arguments`, the clang arguments last).
    var files: [String] { Array(arguments.prefix(arguments.count - clangArguments.count)) }
    var clangArguments: [String] {
        let argv = CommandLine.arguments
        guard let t = argv.firstIndex(of: "--") else { return [] }
        return Array(argv[(t + 1)...].suffix(arguments.count))
    }

    func validate() throws {
        if files.isEmpty && compileCommands == nil {
            throw ValidationError("give the program's C files, or --compile-commands")
        }
    }

    func run() throws {
        let sources = SourceManager()
        let c = try compileOrExit(policy, sources: sources)
        if c.diagnostics.hasErrors {
            report(c.diagnostics.sorted, sources: sources, output, format: .chosen(format, output),
                   droppedErrors: c.diagnostics.droppedErrors, droppedWarnings: c.diagnostics.droppedWarnings)
            eprint("kfpolicy: error: the policy '\(policy)' has errors; fix them before linting programs against it\n")
            throw ExitWith(status: .policyError)
        }
        let report_: LintReport
        do {
            var inputs = files.map { LintInput(path: $0, arguments: clangArguments) }
            if let compileCommands {
                inputs = try Linter.inputs(compileCommands: compileCommands, files: files, extraArguments: clangArguments)
            }
            report_ = try Linter.lint(inputs, policy: c.policy, policyPath: policy, sources: sources)
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        report(report_.diagnostics, sources: sources, output, format: .chosen(format, output))
        let warnings = report_.diagnostics.contains { $0.severity == .warning }
        if report_.hasErrors || (warningsAsErrors && warnings) { throw ExitWith(status: .policyError) }
    }
}

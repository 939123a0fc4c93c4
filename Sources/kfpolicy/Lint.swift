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
            Parses the files together with libclang as a BPF build does ('-target bpf', \
            '-D__TARGET_ARCH_<host>', the clang arguments after '--', then clang's builtin headers \
            and the system include directories), finds the struct_ops maps of the policy's struct and \
            the programs they bind, follows calls through the programs' functions, callbacks and \
            macros as the verifier does (leaving out branches a constant argument or a missing weak \
            kfunc makes dead), and reports each kfunc call the policy does not allow from that \
            callback, with the call chain and the policy lines that decide it. What could hide a \
            violation is a warning: a kfunc the policy does not know, a call lint cannot follow. \
            A comment '// kfpolicy: allow KFP706 <reason>' on or above a finding's line silences it. \
            Exit status: 0 no error, 1 errors found, 2 usage or I/O.
            """)

    @Option(help: "The policy to check against: a file, or a policy's name (scx, scx@6.12; see 'kfpolicy --help').")
    var policy: String
    @Option(name: .customLong("with"), parsing: .singleValue,
            help: ArgumentHelp("A policy file to include in the policy, when it does not include it already: "
                                   + "kfuncs of other subsystems that the program may call.",
                               valueName: "file"))
    var extraPolicies: [String] = []
    @Flag(name: .customLong("no-generic"),
          help: ArgumentHelp("Do not include the generic BPF kfuncs of the policy's kernel "
                                 + "(generic/bpf-<kernel>.policy), which lint includes by default."))
    var noGeneric = false
    @Argument(help: ArgumentHelp("The program's C files (all of them, so calls between files are followed), "
                                     + "then '--' and clang arguments (include paths, defines).", valueName: "files"))
    var arguments: [String] = []
    @Option(name: .customLong("compile-commands"),
            help: ArgumentHelp("A compile_commands.json (or its directory): take each file's clang arguments "
                                   + "from it; with no FILES, lint its .bpf.c entries."))
    var compileCommands: String?
    @OptionGroup var output: OutputOptions
    @Option(help: reportFormatHelp) var format: ReportFormat?
    @Flag(help: "Treat warnings as errors (they are reported and counted as errors).") var warningsAsErrors = false
    @Option(name: .customLong("disable"), parsing: .singleValue,
            help: ArgumentHelp("A warning not to report, by id or name (KFP706 or unresolved-call); "
                                   + "repeat or separate with commas.", valueName: "id"))
    var disable: [String] = []
    @Option(name: .customShort("W", allowingJoined: true), parsing: .singleValue,
            help: ArgumentHelp("-Wno-NAME disables a warning by name (-Wno-unresolved-call); "
                                   + "-Werror treats warnings as errors.", valueName: "flag"))
    var warningFlags: [String] = []
    @Flag(name: .customLong("print-clang-args"),
          help: "Print the clang arguments each file is parsed with, and lint nothing.")
    var printClangArgs = false
    @Flag(name: .customLong("time-report"), help: "Print the time spent in each phase to standard error.")
    var timeReport = false

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
        _ = try options()
    }

    /// The warnings disabled and whether warnings are errors, from --disable and -W.
    func options() throws -> LintOptions {
        var o = LintOptions(warningsAsErrors: warningsAsErrors)
        var names = disable.flatMap { $0.split(separator: ",").map(String.init) }
        for w in warningFlags {
            if w == "error" { o.warningsAsErrors = true; continue }
            guard w.hasPrefix("no-") else {
                throw ValidationError("unknown warning flag '-W\(w)'; use -Wno-NAME or -Werror")
            }
            names.append(String(w.dropFirst(3)))
        }
        let known = DiagID.lintWarningNames.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) (\($0.value))" }
        for n in names {
            guard let id = DiagID.lint(named: n) else {
                throw ValidationError("'\(n)' is not a kfpolicy lint warning; the warnings are: "
                                          + known.joined(separator: ", "))
            }
            guard DiagID.lintWarningNames[id] != nil else {
                throw ValidationError("\(id.rawValue) is an error (the program would not load or could not be read) "
                                          + "and cannot be disabled; silence one finding with a "
                                          + "'// kfpolicy: allow \(id.rawValue) <reason>' comment")
            }
            o.disabled.insert(id)
        }
        return o
    }

    func run() throws {
        var inputs = files.map { LintInput(path: $0, arguments: clangArguments) }
        if let compileCommands {
            do {
                inputs = try Linter.inputs(compileCommands: compileCommands, files: files,
                                           extraArguments: clangArguments)
            } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        }
        if printClangArgs {
            for i in inputs {
                print(i.path + ": " + Linter.clangArguments(i.arguments).map(shellQuoted).joined(separator: " "))
            }
            return
        }
        let sources = SourceManager()
        let timer = PhaseTimer()
        defer { if timeReport { eprint("kfpolicy: time report\n" + timer.report()) } }
        let c: Compilation
        // A policy may be given by name (scx@6.12), the --with files too.
        let policyPath = try resolvePolicyOrExit(policy)
        let withPaths = try extraPolicies.map(resolvePolicyOrExit)
        let generic: ((Policy) -> [String])? = noGeneric ? nil : { p in
            genericPolicy(of: p.kernel, besidePolicy: policyPath).map { [$0] } ?? []
        }
        do {
            c = try timer.measure("policy") { () throws(FileError) -> Compilation in
                try Linter.compilePolicy(policyPath, with: withPaths, sources: sources, adding: generic)
            }
        } catch {
            eprint("kfpolicy: error: cannot read \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        if c.diagnostics.hasErrors {
            report(c.diagnostics.sorted, sources: sources, output, format: .chosen(format, output),
                   droppedErrors: c.diagnostics.droppedErrors, droppedWarnings: c.diagnostics.droppedWarnings)
            eprint("kfpolicy: error: the policy '\(policy)' has errors; fix them before linting programs against it\n")
            throw ExitWith(status: .policyError)
        }
        let result: LintReport
        do {
            result = try Linter.lint(inputs, policy: c.policy, policyPath: policy, sources: sources, options: options(),
                                     timer: timer)
        } catch {
            eprint("kfpolicy: error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        report(result.diagnostics, sources: sources, output, format: .chosen(format, output))
        if result.hasErrors { throw ExitWith(status: .policyError) }
    }
}

/// A word as a POSIX shell reads it back: unchanged when it is plain, else in single quotes.
func shellQuoted(_ s: String) -> String {
    let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
            || "-_./=:,+@%".unicodeScalars.contains(c)
    }
    return plain ? s : "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

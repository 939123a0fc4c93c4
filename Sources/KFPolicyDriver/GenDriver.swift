// The gen driver, shared by `kfpolicy gen` and `kfpolicy-gen`: compile every policy, write
// nothing if any has errors, then either compare the outputs with the files on disk (`--check`)
// or write each output that changed, atomically, and the depfile. The two commands differ only
// in how they parse their arguments and in the validation step `kfpolicy gen` passes in.

import KFPolicy
import KFPolicyRender

/// What gen was asked to do.
public struct GenRequest: Sendable {
    /// The program's name, for messages (`kfpolicy`, `kfpolicy-gen`).
    public var tool: String
    /// The command as the user types it (`kfpolicy gen`, `kfpolicy-gen`), for hints.
    public var command: String
    public var files: [String]
    public var outputDirectory: String
    public var emit: [OutputKind]
    /// A make dependency file to write, listing every policy and include read.
    public var depfile: String?
    /// Write nothing; report outputs that are missing or differ (exit 1).
    public var check: Bool
    /// A file that declares no policy (shared declarations) gets a Swift note instead of an error.
    public var allowIncludeOnly: Bool
    /// The kernel the C is for, overriding the policies' `kernel` statements.
    public var kernel: Kernel?
    /// Report Linux's size limits as warnings (benchmarks of synthetic policies).
    public var ignoreKernelLimits: Bool

    public init(tool: String, command: String, files: [String], outputDirectory: String = "Generated",
                emit: [OutputKind] = [.c], depfile: String? = nil, check: Bool = false, allowIncludeOnly: Bool = false,
                kernel: Kernel? = nil, ignoreKernelLimits: Bool = false) {
        self.tool = tool; self.command = command; self.files = files; self.outputDirectory = outputDirectory
        self.emit = emit; self.depfile = depfile; self.check = check; self.allowIncludeOnly = allowIncludeOnly
        self.kernel = kernel; self.ignoreKernelLimits = ignoreKernelLimits
    }

    /// The command that regenerates the outputs, for the hint of a stale one.
    var regenerateCommand: String {
        var c = "\(command) \(files.joined(separator: " "))"
        if outputDirectory != "Generated" { c += " -o \(outputDirectory)" }
        if emit != [.c] { c += " --emit " + emit.map(\.rawValue).joined(separator: " ") }
        return c
    }
}

/// A C header gen is about to write, for a validation step.
public struct PlannedHeader {
    public let path: String
    public let file: GeneratedFile
    public let policy: Policy
    public let sources: SourceManager
}

/// Checks one planned C header; returns its findings (an error is a bug of kfpolicy), or
/// throws to stop gen with a status after printing why.
public typealias HeaderValidation = (PlannedHeader) throws(ExitWith) -> [Diagnostic]

public struct GenDriver {
    public let request: GenRequest
    public let printer: DiagnosticPrinter
    public let validation: HeaderValidation?
    public let timer: PhaseTimer

    public init(_ request: GenRequest, printer: DiagnosticPrinter, validation: HeaderValidation? = nil,
                timer: PhaseTimer = PhaseTimer()) {
        self.request = request; self.printer = printer; self.validation = validation; self.timer = timer
    }

    /// Runs gen; throws the exit status of a failure, after printing why.
    public func run() throws(ExitWith) {
        let plan = try compileAll()
        if request.check { return try check(plan) }
        // Validate before writing: a header kfpolicy itself got wrong never reaches the disk.
        try timer.measure("validate") { () throws(ExitWith) in try validate(plan.headers) }
        try timer.measure("write") { () throws(ExitWith) in try write(plan) }
    }

    /// Every output of every file, the headers to validate and the files read.
    struct Plan {
        var outputs: [(path: String, file: GeneratedFile)] = []
        var headers: [PlannedHeader] = []
        var inputs: [String] = []
    }

    /// Compiles every file and plans its outputs; nothing is planned past an error.
    func compileAll() throws(ExitWith) -> Plan {
        var plan = Plan()
        var failed = false
        for f in request.files {
            var c: Compilation
            do { c = try Compilation.compile(path: f, timer: timer) } catch {
                StandardError.print("\(request.tool): error: cannot read \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
            var outputs: [GeneratedFile]
            if request.allowIncludeOnly && c.isIncludeOnly {
                // Its facts are checked, and reported, as part of each policy that includes it.
                outputs = Generator.includeOnlyOutputs(path: f, emit: request.emit)
            } else {
                if request.ignoreKernelLimits { c = c.downgrading([.kernelLimit]) }
                if printer.print(c) { failed = true; continue }
                var policy = c.policy
                if let kernel = request.kernel { policy.kernel = kernel }
                outputs = timer.measure("generate") { Generator.outputs(policy, path: f, emit: request.emit) }
                for g in outputs where g.origins != nil {
                    plan.headers.append(PlannedHeader(path: path(g), file: g, policy: policy, sources: c.sources))
                }
            }
            plan.outputs += outputs.map { (path($0), $0) }
            for i in c.policy.files where !plan.inputs.contains(i) { plan.inputs.append(i) }
        }
        // Nothing is written unless every policy compiled.
        if failed { throw ExitWith(status: .policyError) }
        return plan
    }

    func path(_ g: GeneratedFile) -> String { request.outputDirectory + "/" + g.name }

    /// `--check`: each output that is missing or differs is named, with a diff on standard output.
    func check(_ plan: Plan) throws(ExitWith) {
        var stale = false
        for (path, g) in plan.outputs {
            let old = try? readFileBytes(path)
            if old == g.bytes { continue }
            stale = true
            StandardError.print("\(path): \(old == nil ? "missing" : "stale"); run '\(request.regenerateCommand)'\n")
            if let old {
                print(lineDiff(old: String(decoding: old, as: UTF8.self), new: g.contents, path: path), terminator: "")
            }
        }
        if stale { throw ExitWith(status: .policyError) }
        try validate(plan.headers)
    }

    func validate(_ headers: [PlannedHeader]) throws(ExitWith) {
        guard let validation else { return }
        for h in headers {
            let findings = try validation(h)
            if !findings.isEmpty { printer.print(findings, sources: h.sources) }
            if findings.contains(where: { $0.severity == .error }) { throw ExitWith(status: .internalError) }
        }
    }

    /// Writes the outputs that changed and the depfile.
    func write(_ plan: Plan) throws(ExitWith) {
        do {
            try makeDirectory(request.outputDirectory)
            for (path, g) in plan.outputs { try writeIfChanged(path, g.bytes) }
            if let depfile = request.depfile {
                let rule = Generator.depfile(targets: plan.outputs.map(\.path), inputs: plan.inputs)
                try writeIfChanged(depfile, Array(rule.utf8))
            }
        } catch {
            StandardError.print("\(request.tool): error: \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
    }
}

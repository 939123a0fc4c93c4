// kfpolicy matrix

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

enum MatrixFormat: String, ExpressibleByArgument, CaseIterable { case md, html, json }

struct Matrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the callback x kfunc permission matrix (markdown, HTML or JSON).",
        discussion: """
            Rows are kfuncs grouped by the set that registers them; columns are callbacks \
            grouped by the contexts they run in, then the other program types the sets are \
            registered for. Every cell is the verdict of the reference decision function. With \
            --against OLD (a file or REV:PATH), cells whose verdict changed stand out, and \
            removed kfuncs and callbacks are kept, struck through. --format json lists every \
            (caller, kfunc, sleepable or not) with the outcome the kernel's verifier should give a \
            program that makes that call (loads, refused_by_filter, needs_sleepable_program, \
            callback_not_sleepable, program_type_needs_sleepable), for tests against a real \
            kernel; it does not take --against. Exit status: 0 printed; 1 a policy has errors; 2 \
            usage or I/O error.
            """)

    @Argument(help: "The policy file (or REV:PATH).") var file: String
    @Option(help: "Output format: md, html or json.") var format: MatrixFormat = .md
    @Option(help: ArgumentHelp("Highlight the cells that differ from this older policy (a file or REV:PATH).", valueName: "OLD"))
    var against: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @OptionGroup var diagnostics: OutputOptions

    func validate() throws {
        if format == .json && against != nil { throw ValidationError("--format json does not take --against") }
    }

    func run() throws {
        let new = try load(file)
        if format == .json { return try emit(LoadMatrixJSON.render(new.policy), to: output) }
        let m: PermissionMatrix
        if let against {
            let old = try load(against)
            m = PermissionMatrix(new: new, old: old, diff: SemanticDiff.compare(old: old, new: new))
        } else {
            m = PermissionMatrix(new.policy)
        }
        try emit(format == .html ? MatrixRenderer.html(m) : MatrixRenderer.markdown(m), to: output)
    }

    func load(_ spec: String) throws -> Compilation {
        let c: Compilation
        do { c = try loadSide(spec) } catch {
            eprint("kfpolicy: error: cannot read \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        if c.diagnostics.hasErrors {
            report(c.diagnostics.sorted.filter { $0.severity == .error }, sources: c.sources, diagnostics)
            throw ExitWith(status: .policyError)
        }
        return c
    }
}

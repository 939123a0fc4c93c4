// kfpolicy matrix

import ArgumentParser
import KFPolicy
import KFPolicyRender
#if canImport(Glibc)
import Glibc
#endif

enum MatrixFormat: String, ExpressibleByArgument, CaseIterable { case md, html }

struct Matrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the callback x kfunc permission matrix (markdown or HTML).",
        discussion: """
            Rows are kfuncs grouped by the set that registers them; columns are callbacks \
            grouped by the contexts they run in, then the other program types the sets are \
            registered for. Every cell is the verdict of the reference decision function. With \
            --against OLD (a file or REV:PATH), cells whose verdict changed stand out, and \
            removed kfuncs and callbacks are kept, struck through. Exit status: 0 printed; 1 a \
            policy has errors; 2 usage or I/O error.
            """)

    @Argument(help: "The policy file (or REV:PATH).") var file: String
    @Option(help: "Output format: md or html.") var format: MatrixFormat = .md
    @Option(help: ArgumentHelp("Highlight the cells that differ from this older policy (a file or REV:PATH).",
                               valueName: "OLD"))
    var against: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let new = try load(file)
        let m: PermissionMatrix
        if let against {
            let old = try load(against)
            m = PermissionMatrix(new: new, old: old, diff: SemanticDiff.compare(old: old, new: new))
        } else {
            m = PermissionMatrix(new.policy)
        }
        try emit(format == .md ? MatrixRenderer.markdown(m) : MatrixRenderer.html(m), to: output)
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
